package dev.adapterforge.prep;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.adapterforge.job.SparkTestBase;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** A language's every split gets a record once it has one for each, whatever the hash drew. */
class SplitGuaranteeTest extends SparkTestBase {
  private static final SplitRatios PAPER = new SplitRatios(0.8, 0.1, 0.1);

  @Test
  void sizesByRankRoundTheSharesAndGiveEverySplitWithAShareOne() {
    assertArrayEquals(new long[] {1, 1, 1}, PAPER.sizesByRank(3));
    assertArrayEquals(new long[] {13, 2, 2}, PAPER.sizesByRank(17), "the issue's 17 documents");
    assertArrayEquals(new long[] {80, 10, 10}, PAPER.sizesByRank(100));
    assertArrayEquals(new long[] {2, 0, 0}, PAPER.sizesByRank(2), "too few for every split: train first");
    assertArrayEquals(new long[] {3, 0, 1}, new SplitRatios(0.9, 0, 0.1).sizesByRank(4), "no share, no record");
    assertArrayEquals(new long[] {0, 1, 2}, new SplitRatios(0, 0.5, 0.5).sizesByRank(3));
  }

  @Test
  void aSmallLanguageWhoseHashLeftASplitEmptyIsSplitByRankAndOthersKeepTheirs() {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 17; i++) {
      rows.add(record("swh-Latn", "document " + i, "train", null));
    }
    rows.add(record("swh-Latn", "dropped", null, "empty"));
    for (int i = 0; i < 4; i++) {
      rows.add(record("yor-Latn", "yoruba " + i, i < 2 ? "train" : i == 2 ? "validation" : "test", null));
    }
    rows.add(record("am", "two documents", "train", null));
    rows.add(record("am", "are too few", "train", null));
    Dataset<Row> assigned =
        spark.createDataFrame(rows, PreparedCorpus.RECORD_SCHEMA.add(PreparedCorpus.SPLIT, DataTypes.StringType));
    PrepOptions options = CommandLine.populateCommand(new PrepOptions(), "--output", "unused");

    Map<String, Map<String, Long>> splits = splitsOf(PreparedCorpus.everySplitFilled(assigned, options));
    assertEquals(Map.of("train", 13L, "validation", 2L, "test", 2L, "null", 1L), splits.get("swh-Latn"));
    assertEquals(Map.of("train", 2L, "validation", 1L, "test", 1L), splits.get("yor-Latn"), "nothing was empty");
    assertEquals(Map.of("train", 2L), splits.get("am"), "two records cannot fill three splits");
    assertEquals(splits, splitsOf(PreparedCorpus.everySplitFilled(assigned.repartition(5), options)), "any partitioning");
  }

  private static Map<String, Map<String, Long>> splitsOf(Dataset<Row> records) {
    Map<String, Map<String, Long>> splits = new TreeMap<>();
    for (Row row : records.groupBy("language", "split").count().collectAsList()) {
      splits.computeIfAbsent(row.getString(0), l -> new TreeMap<>()).put(String.valueOf(row.get(1)), row.getLong(2));
    }
    return splits;
  }

  private static Row record(String language, String text, String split, String reason) {
    return RowFactory.create(language, text, "file", text, reason, null, null, split);
  }
}
