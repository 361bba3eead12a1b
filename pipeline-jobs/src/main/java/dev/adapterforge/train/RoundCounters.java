package dev.adapterforge.train;

import java.io.Serializable;
import org.apache.spark.SparkContext;
import org.apache.spark.util.LongAccumulator;

/**
 * What the workers' batches of one round held, and how long the workers spent in training steps
 * (summed over workers, {@link FitTimer}), counted by Spark accumulators.
 */
record RoundCounters(
    LongAccumulator tokens,
    LongAccumulator slots,
    LongAccumulator sequences,
    LongAccumulator masked,
    LongAccumulator fitNanos)
    implements Serializable {

  static RoundCounters register(SparkContext spark) {
    return new RoundCounters(
        spark.longAccumulator("training tokens"),
        spark.longAccumulator("token slots"),
        spark.longAccumulator("sequences"),
        spark.longAccumulator("masked tokens"),
        spark.longAccumulator("workers' fit ns"));
  }

  void reset() {
    tokens.reset();
    slots.reset();
    sequences.reset();
    masked.reset();
    fitNanos.reset();
  }
}
