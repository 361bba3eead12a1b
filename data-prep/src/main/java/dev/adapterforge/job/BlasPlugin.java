package dev.adapterforge.job;

import dev.adapterforge.ops.runtime.BlasChoice;
import java.util.Arrays;
import java.util.Map;
import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.PluginContext;
import org.apache.spark.api.plugin.SparkPlugin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes each executor choose ND4J's BLAS for its own CPU ({@link BlasChoice}), which may not be the
 * driver's: Spark starts plugins when an executor starts, after fetching the application's jars and
 * before any task, so before anything in that JVM loads ND4J. Registered by {@link SparkSessions}.
 */
public final class BlasPlugin implements SparkPlugin {
  private static final Logger LOG = LoggerFactory.getLogger(BlasPlugin.class);

  @Override
  public DriverPlugin driverPlugin() {
    return null; // the driver chose at start (AdapterForge's main)
  }

  @Override
  public ExecutorPlugin executorPlugin() {
    return new ExecutorPlugin() {
      @Override
      public void init(PluginContext context, Map<String, String> extraConf) {
        LOG.info("Executor {}: ND4J's BLAS is {}", context.executorID(), BlasChoice.forThisCpu());
      }
    };
  }

  /** {@code spark.plugins} with this plugin added, unless it is there. */
  static String withThisPlugin(String plugins) {
    String name = BlasPlugin.class.getName();
    if (plugins.isBlank()) {
      return name;
    }
    return Arrays.asList(plugins.split("\\s*,\\s*")).contains(name) ? plugins : plugins + "," + name;
  }
}
