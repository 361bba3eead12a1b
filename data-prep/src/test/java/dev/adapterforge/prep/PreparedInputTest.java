package dev.adapterforge.prep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.adapterforge.job.SparkTestBase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Test;

/** A prep output read back: its content hashes and samples depend on the sequences, not on where the corpus lay or how it was written. */
class PreparedInputTest extends SparkTestBase {

  @Test
  void theSameSequencesFromAnotherFolderHashAndSampleTheSame() throws IOException {
    PreparedInput here = write("here", "/data/corpus-a", 3, 2, 0);
    PreparedInput moved = write("moved", "/mnt/elsewhere/corpus", 3, 1, 0);
    assertEquals(here.contentHashes(spark), moved.contentHashes(spark));
    assertEquals(ids(here.sample(spark, "xx", "validation", 5, 42)), ids(moved.sample(spark, "xx", "validation", 5, 42)));
    assertNotEquals(ids(here.sample(spark, "xx", "validation", 5, 42)), ids(here.sample(spark, "xx", "validation", 5, 7)));
  }

  @Test
  void aChangedSequenceChangesItsLanguagesHashAlone() throws IOException {
    Map<String, String> before = write("before", "/data", 3, 1, 0).contentHashes(spark);
    Map<String, String> after = write("after", "/data", 3, 1, 1).contentHashes(spark);
    assertEquals(before.get("yy"), after.get("yy"));
    assertNotEquals(before.get("xx"), after.get("xx"));
    // a sequence moving from one split to another changes it too
    assertNotEquals(before.get("xx"), write("resplit", "/data", 3, 1, 2).contentHashes(spark).get("xx"));
  }

  /**
   * A published prep output of languages xx and yy, 20 sequences each, their source files under
   * {@code folder}, written as {@code files} Parquet files by {@code partitions}; {@code change} 1
   * alters one xx sequence's ids, 2 moves it to the train split.
   */
  private static PreparedInput write(String name, String folder, int files, int partitions, int change) throws IOException {
    List<Row> rows = new ArrayList<>();
    for (String language : List.of("xx", "yy")) {
      for (int i = 0; i < 20; i++) {
        List<Integer> ids = List.of(2, 5 + i % 7, 6 + i % 5, 3);
        String split = i % 4 == 0 ? "validation" : "train";
        if (language.equals("xx") && i == 4 && change == 1) {
          ids = List.of(2, 9, 9, 3);
        } else if (language.equals("xx") && i == 4 && change == 2) {
          split = "train";
        }
        rows.add(RowFactory.create(language, split, folder + "/" + language + "_" + i % files + ".txt", String.valueOf(i), 0, ids, ids.size(), 0, 0));
      }
    }
    Path output = freshDirectory(name);
    spark.createDataFrame(rows, Tokenization.SCHEMA).repartition(partitions)
        .write().partitionBy(PreparedCorpus.LANGUAGE, PreparedCorpus.SPLIT).mode("overwrite")
        .parquet(output.resolve(PreparedOutput.TOKENS).toString());
    Files.writeString(output.resolve(PreparedOutput.STATS), "{\"run\": {\"tokenizer_sha256\": \"abc\"}, \"languages\": {\"xx\": {}, \"yy\": {}}}");
    Files.writeString(output.resolve(PreparedOutput.SUCCESS), "");
    return PreparedInput.open(output.toString(), "--data", spark.sparkContext().hadoopConfiguration());
  }

  private static List<List<Integer>> ids(List<int[]> sequences) {
    return sequences.stream().map(s -> Arrays.stream(s).boxed().toList()).toList();
  }
}
