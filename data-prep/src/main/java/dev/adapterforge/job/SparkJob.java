package dev.adapterforge.job;

import java.util.concurrent.Callable;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import scala.Option;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A command that runs as one Spark application: its options are checked first ({@link #validate}),
 * so a bad option or missing input fails in milliseconds, before a SparkContext exists.
 */
public abstract class SparkJob implements Callable<Integer> {
  @Mixin protected SparkOptions sparkOptions;

  @Spec protected CommandSpec spec;

  @Override
  public final Integer call() throws Exception {
    // A session that already exists (a test class's, or a pipeline's) belongs to its creator, settings and all.
    Option<SparkSession> existing = SparkSession.getDefaultSession();
    // the Spark settings are checked first, before validate() reads any input
    SparkConf conf = existing.isDefined() ? null : SparkSessions.conf("adapterforge " + spec.name(), sparkOptions);
    validate();
    if (existing.isDefined()) {
      return run(existing.get());
    }
    SparkSession spark = SparkSessions.getOrCreate(conf);
    try {
      return run(spark);
    } finally {
      spark.stop();
    }
  }

  /** Checks options and inputs; throws {@link UsageException} naming the option or path at fault. */
  protected void validate() {}

  /** The job itself; returns the process exit status. */
  protected abstract int run(SparkSession spark) throws Exception;
}
