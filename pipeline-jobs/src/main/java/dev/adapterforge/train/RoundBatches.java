package dev.adapterforge.train;

import dev.adapterforge.ops.mlm.MlmBatches;
import dev.adapterforge.ops.mlm.MlmMasking;
import dev.adapterforge.ops.tokenizer.SpecialTokens;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.util.LongAccumulator;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * One averaging round's batches on each worker: the worker's shard of the training sequences,
 * length-bucketed and masked afresh from a seed of the run, the round and the shard, so that a
 * resumed run draws exactly the batches the uninterrupted one would have. Runs in the task's
 * thread before DL4J's worker does, which is where the task binds its GPU.
 */
final class RoundBatches implements Function2<Integer, Iterator<int[]>, Iterator<MultiDataSet>> {
  private static final long serialVersionUID = 1L;

  private final long seed;
  private final long round;
  private final int batches;
  private final int batchSize;
  private final double mlmProbability;
  private final SpecialTokens special;
  private final int vocabularySize;
  private final LongAccumulator tokens;
  private final LongAccumulator paddedSlots;
  private final LongAccumulator sequences;
  private final LongAccumulator masked;

  RoundBatches(
      long seed, long round, int batches, int batchSize, double mlmProbability, SpecialTokens special,
      int vocabularySize, RoundCounters counters) {
    this.seed = seed;
    this.round = round;
    this.batches = batches;
    this.batchSize = batchSize;
    this.mlmProbability = mlmProbability;
    this.special = special;
    this.vocabularySize = vocabularySize;
    this.tokens = counters.tokens();
    this.paddedSlots = counters.slots();
    this.sequences = counters.sequences();
    this.masked = counters.masked();
  }

  @Override
  public Iterator<MultiDataSet> call(Integer shard, Iterator<int[]> shardRows) {
    GpuBinding.bindTaskThread();
    List<int[]> shardSequences = new ArrayList<>();
    shardRows.forEachRemaining(shardSequences::add);
    if (shardSequences.isEmpty()) {
      return Collections.emptyIterator();
    }
    MlmBatches source =
        new MlmBatches(
            shardSequences, batchSize, new MlmMasking(mlmProbability, special, vocabularySize), special,
            seed * 1_000_003L + round * 7_919L + shard);
    List<MultiDataSet> round = new ArrayList<>(batches);
    for (int b = 0; b < batches; b++) {
      round.add(source.next());
    }
    tokens.add(source.realTokens());
    paddedSlots.add(source.tokenSlots());
    masked.add(source.maskedTokens());
    round.forEach(batch -> sequences.add(batch.getFeatures(0).size(0)));
    return round.iterator();
  }
}
