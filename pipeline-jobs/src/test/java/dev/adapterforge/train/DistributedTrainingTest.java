package dev.adapterforge.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adapterforge.job.SparkTestBase;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;

class DistributedTrainingTest extends SparkTestBase {

  /** The same sequences in another order and partitioning, as another prep output of the same corpus would hold them. */
  @Test
  void shardsFollowFromTheSequencesAlone() {
    Random random = new Random(3);
    List<int[]> sequences = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      sequences.add(random.ints(4 + random.nextInt(8), 5, 100).toArray());
    }
    List<int[]> shuffled = new ArrayList<>(sequences);
    Collections.shuffle(shuffled, random);
    JavaSparkContext context = JavaSparkContext.fromSparkContext(spark.sparkContext());

    List<List<List<Integer>>> shards = shards(context, sequences, 3);
    assertEquals(shards, shards(context, shuffled, 5));
    assertEquals(2, shards.size());
    assertTrue(shards.stream().allMatch(shard -> shard.size() > 60), "both workers get a fair share");
    assertEquals(200, shards.stream().mapToInt(List::size).sum());
  }

  private static List<List<List<Integer>>> shards(JavaSparkContext context, List<int[]> sequences, int partitions) {
    return DistributedTraining.shard(context.parallelize(sequences, partitions), 2).glom().collect().stream()
        .map(shard -> shard.stream().map(ids -> Arrays.stream(ids).boxed().toList()).toList())
        .toList();
  }
}
