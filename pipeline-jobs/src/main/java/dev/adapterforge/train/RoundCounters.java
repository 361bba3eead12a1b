package dev.adapterforge.train;

import java.io.Serializable;
import org.apache.spark.SparkContext;
import org.apache.spark.util.LongAccumulator;

/**
 * What the workers' batches of one round held, and how long the workers trained on them (summed
 * over workers), counted by Spark accumulators.
 */
record RoundCounters(
    LongAccumulator tokens,
    LongAccumulator slots,
    LongAccumulator sequences,
    LongAccumulator masked,
    LongAccumulator trainingNanos)
    implements Serializable {

  static RoundCounters register(SparkContext spark) {
    return new RoundCounters(
        spark.longAccumulator("training tokens"),
        spark.longAccumulator("token slots"),
        spark.longAccumulator("sequences"),
        spark.longAccumulator("masked tokens"),
        spark.longAccumulator("worker training ns"));
  }

  void reset() {
    tokens.reset();
    slots.reset();
    sequences.reset();
    masked.reset();
    trainingNanos.reset();
  }
}
