package dev.adapterforge.job;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import picocli.CommandLine.Option;

/**
 * Options every Spark job takes, spelled as spark-submit spells them. Under spark-submit the master and
 * settings spark-submit passed win unless given here explicitly.
 */
public final class SparkOptions {
  public static final String DEFAULT_MASTER = "local[*]";
  private static final String HADOOP_PREFIX = "spark.hadoop.";

  @Option(
      names = "--master",
      paramLabel = "URL",
      description =
          "Spark master. Default: spark-submit's master when launched by it, otherwise "
              + DEFAULT_MASTER
              + " (embedded Spark).")
  String master;

  @Option(
      names = "--conf",
      paramLabel = "KEY=VALUE|FILE",
      description =
          "A Spark setting (spark.*), as with spark-submit, or a HOCON config file (see conf/) "
              + "giving this command's options and Spark settings. Repeatable; later wins.")
  List<String> conf = new ArrayList<>();

  @Option(
      names = "--root",
      paramLabel = "DIR",
      defaultValue = "${env:ADAPTERFORGE_ROOT:-.adapterforge}",
      description =
          "Local state root: Spark warehouse and the default registry table. $ADAPTERFORGE_ROOT"
              + " when set.")
  Path root;

  public Path root() {
    return root;
  }

  /** The explicit --master, or null to keep spark-submit's choice or the embedded default. */
  public String master() {
    return master;
  }

  /**
   * Spark settings in effect order: each config file's {@code spark} section and each {@code KEY=VALUE}
   * in the order given, so a later entry overrides an earlier one.
   */
  public Map<String, String> sparkSettings() {
    Map<String, String> settings = new LinkedHashMap<>();
    for (String entry : conf) {
      if (isConfigFile(entry)) {
        settings.putAll(ConfigFile.load(Path.of(entry)).sparkSettings());
      } else {
        int eq = entry.indexOf('=');
        settings.put(requireSparkKey(entry.substring(0, eq)), entry.substring(eq + 1));
      }
    }
    return settings;
  }

  /**
   * The Hadoop configuration jobs see before Spark starts, for start-up checks of input paths:
   * {@code spark.hadoop.*} settings (from spark-submit or --conf) apply as they will inside Spark.
   */
  public Configuration hadoopConfiguration() {
    Configuration hadoop = new Configuration();
    Map<String, String> settings = new LinkedHashMap<>();
    for (scala.Tuple2<String, String> kv : new SparkConf(true).getAll()) {
      settings.put(kv._1(), kv._2());
    }
    settings.putAll(sparkSettings());
    settings.forEach(
        (key, value) -> {
          if (key.startsWith(HADOOP_PREFIX)) {
            hadoop.set(key.substring(HADOOP_PREFIX.length()), value);
          }
        });
    return hadoop;
  }

  /** These options as a command line, for a command the same application runs next (the session's master is already set). */
  public List<String> asArguments() {
    List<String> args = new ArrayList<>();
    conf.forEach(entry -> args.addAll(List.of("--conf", entry)));
    args.addAll(List.of("--root", root.toString()));
    return args;
  }

  /** A --conf value without '=' names a config file; with one it is a Spark setting. */
  public static boolean isConfigFile(String confEntry) {
    return confEntry.indexOf('=') < 0;
  }

  static String requireSparkKey(String key) {
    if (!key.startsWith("spark.") || key.length() == "spark.".length()) {
      throw new UsageException("--conf: '" + key + "' is not a Spark setting (Spark keys start with 'spark.')");
    }
    return key;
  }
}
