package dev.adapterforge.job;

import dev.adapterforge.ops.runtime.BlasChoice;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/** Builds the SparkSession every job runs in, embedded or under spark-submit, always Delta-enabled. */
public final class SparkSessions {
  static final String DELTA_EXTENSION = "io.delta.sql.DeltaSparkSessionExtension";
  static final String DELTA_CATALOG = "org.apache.spark.sql.delta.catalog.DeltaCatalog";
  /** Set by bin/adapterforge: the application jar, to ship to executors in other JVMs. */
  public static final String APP_JAR_PROPERTY = "adapterforge.app.jar";
  /**
   * Training's fused kernels (adapter-ops' FusedKernels) need the Vector API, an incubator module a
   * JVM resolves only when told to; without it executors train on, slower.
   */
  private static final String VECTOR_MODULE = "jdk.incubator.vector";
  static final String VECTOR_MODULE_OPTION = "--add-modules=" + VECTOR_MODULE;
  static final String EXECUTOR_DEFAULT_JAVA_OPTIONS = "spark.executor.defaultJavaOptions";
  static final String PLUGINS = "spark.plugins";
  /** MKL threads with libnd4j's OpenMP runtime, not a second one (bin/adapterforge). */
  static final String EXECUTOR_MKL_THREADING = "spark.executorEnv.MKL_THREADING_LAYER";

  /**
   * The master URL forms Spark 3.5 accepts (SparkContext's master patterns and the cluster managers
   * it ships), checked before Spark starts, so a typo is one line rather than Spark's stack trace.
   */
  private static final Pattern MASTER_URL =
      Pattern.compile(
          "local|local\\[([0-9]+|\\*)(\\s*,\\s*[0-9]+)?\\]"
              + "|local-cluster\\[\\s*[0-9]+\\s*,\\s*[0-9]+\\s*,\\s*[0-9]+\\s*\\]"
              + "|yarn|(spark|k8s|mesos)://.+");

  private SparkSessions() {}

  /**
   * The SparkConf a job runs with: spark-submit's settings (system properties), then {@code settings}
   * in order, then an explicit master; the embedded master and a warehouse under {@code root} fill in
   * what nobody set.
   */
  public static SparkConf conf(String appName, SparkOptions options) {
    SparkConf conf = new SparkConf(true);
    options.sparkSettings().forEach(conf::set);
    if (options.master() != null) {
      conf.setMaster(options.master());
    }
    conf.setIfMissing("spark.master", SparkOptions.DEFAULT_MASTER);
    requireMasterUrl(conf.get("spark.master"), options.master() != null ? "--master" : "spark.master");
    shipLauncherJar(conf);
    conf.setIfMissing("spark.app.name", appName);
    conf.setIfMissing("spark.ui.showConsoleProgress", "true");
    conf.setIfMissing(
        "spark.sql.warehouse.dir", options.root().resolve("warehouse").toAbsolutePath().toUri().toString());
    conf.set("spark.sql.extensions", withDeltaExtension(conf.get("spark.sql.extensions", "")));
    conf.setIfMissing("spark.sql.catalog.spark_catalog", DELTA_CATALOG);
    conf.set(EXECUTOR_DEFAULT_JAVA_OPTIONS, withExecutorOptions(conf.get(EXECUTOR_DEFAULT_JAVA_OPTIONS, "")));
    conf.set(PLUGINS, BlasPlugin.withThisPlugin(conf.get(PLUGINS, "")));
    conf.setIfMissing(EXECUTOR_MKL_THREADING, "GNU");
    return conf;
  }

  private static void requireMasterUrl(String master, String source) {
    if (!MASTER_URL.matcher(master).matches()) {
      throw new UsageException(
          source + ": '" + master + "' is not a Spark master URL: local, local[N], local[*], local[N,MAX_FAILURES],"
              + " local-cluster[WORKERS,CORES,MEMORY_MB], spark://HOST:PORT, yarn, k8s://URL or mesos://URL");
    }
  }

  /**
   * bin/adapterforge names its application jar in {@value #APP_JAR_PROPERTY}; executors in other JVMs
   * (local-cluster, standalone) fetch it from the driver as spark-submit would have them do. In-process
   * local masters need nothing shipped.
   */
  private static void shipLauncherJar(SparkConf conf) {
    String appJar = System.getProperty(APP_JAR_PROPERTY);
    String master = conf.get("spark.master");
    boolean inProcess = master.equals("local") || master.startsWith("local[");
    if (appJar != null && !inProcess && !conf.contains("spark.jars")) {
      conf.set("spark.jars", appJar);
    }
  }

  /**
   * @throws UsageException if Spark refuses to start with these settings (a malformed memory size,
   *     say): the settings are the user's, so that is a usage error
   */
  public static SparkSession getOrCreate(SparkConf conf) {
    try {
      return SparkSession.builder().config(conf).getOrCreate();
    } catch (RuntimeException e) {
      throw new UsageException("Spark did not start with these settings (--master, --conf): " + rootMessage(e), e);
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + root + ")";
  }

  /**
   * The executors' default options with what training needs added, unless they set it already: the
   * Vector API module, and the BLAS the driver's caller named, if one did (otherwise each executor
   * chooses for its own CPU: {@link BlasPlugin}).
   */
  private static String withExecutorOptions(String options) {
    StringBuilder all = new StringBuilder(options);
    if (!options.contains(VECTOR_MODULE)) {
      all.append(' ').append(VECTOR_MODULE_OPTION);
    }
    Optional<String> named = BlasChoice.namedByCaller();
    if (!options.contains(BlasChoice.PROPERTY) && named.isPresent()) {
      all.append(" -D").append(BlasChoice.PROPERTY).append('=').append(named.get());
    }
    return all.toString().strip();
  }

  private static String withDeltaExtension(String configured) {
    Set<String> extensions = new LinkedHashSet<>();
    for (String e : configured.split(",")) {
      if (!e.isBlank()) {
        extensions.add(e.trim());
      }
    }
    extensions.add(DELTA_EXTENSION);
    return String.join(",", extensions);
  }
}
