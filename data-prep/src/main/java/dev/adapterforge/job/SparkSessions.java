package dev.adapterforge.job;

import java.util.LinkedHashSet;
import java.util.Set;
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
  static final String VECTOR_MODULE_OPTION = "--add-modules=jdk.incubator.vector";
  static final String EXECUTOR_DEFAULT_JAVA_OPTIONS = "spark.executor.defaultJavaOptions";

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
    shipLauncherJar(conf);
    conf.setIfMissing("spark.app.name", appName);
    conf.setIfMissing("spark.ui.showConsoleProgress", "true");
    conf.setIfMissing(
        "spark.sql.warehouse.dir", options.root().resolve("warehouse").toAbsolutePath().toUri().toString());
    conf.set("spark.sql.extensions", withDeltaExtension(conf.get("spark.sql.extensions", "")));
    conf.setIfMissing("spark.sql.catalog.spark_catalog", DELTA_CATALOG);
    conf.set(EXECUTOR_DEFAULT_JAVA_OPTIONS, withVectorModule(conf.get(EXECUTOR_DEFAULT_JAVA_OPTIONS, "")));
    return conf;
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

  public static SparkSession getOrCreate(SparkConf conf) {
    return SparkSession.builder().config(conf).getOrCreate();
  }

  /** The options with the Vector API module added, unless they name it already. */
  private static String withVectorModule(String options) {
    return options.contains("jdk.incubator.vector") ? options : (options + " " + VECTOR_MODULE_OPTION).strip();
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
