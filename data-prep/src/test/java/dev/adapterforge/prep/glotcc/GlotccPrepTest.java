package dev.adapterforge.prep.glotcc;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.unhex;
import static org.apache.spark.sql.functions.when;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.adapterforge.job.CommandRun;
import dev.adapterforge.job.SparkTestBase;
import dev.adapterforge.prep.CleanText;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * prep-glotcc on a GlotCC-V1 tree of real UDHR text in the real shard schema, with planted duplicates,
 * a near duplicate, empty, wrong-language and warned records, a long document and an unreadable
 * shard, through the real mBERT tokenizer: every count asserted.
 */
class GlotccPrepTest extends SparkTestBase {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String LANGUAGES = "sun-Latn,yor-Latn,amh-Ethi";

  private static Path tree;
  private static Path published;
  private static CommandRun firstRun;
  private static Map<String, List<String>> paragraphs;

  @BeforeAll
  static void prepareOnce() throws IOException {
    tree = testRoot.resolve("glotcc");
    GlotccSampleTree.write(spark, tree);
    Files.writeString(tree.resolve("v1.0/sun-Latn/sun-Latn_1.parquet"), "not parquet at all");
    paragraphs = GlotccSampleTree.paragraphs();
    published = testRoot.resolve("out");
    firstRun = prep("--input", tree.toString(), "--languages", LANGUAGES, "--output", published.toString());
  }

  private static CommandRun prep(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--root", testRoot.toString()));
    return CommandRun.of(new GlotccPrep(), all.toArray(String[]::new));
  }

  private static JsonNode stats(Path output) throws IOException {
    return JSON.readTree(output.resolve("stats.json").toFile());
  }

  @Test
  void everyRecordIsKeptOrDroppedForItsReason() throws IOException {
    assertEquals(0, firstRun.exitCode(), firstRun.toString());
    JsonNode sundanese = stats(published).at("/languages/sun-Latn");
    assertEquals(38, sundanese.get("input_rows").asLong());
    assertEquals(30, sundanese.get("kept").asLong());
    assertEquals(
        Map.of("empty", 3, "exact_duplicate", 1, "near_duplicate", 1, "wrong_language", 1, "quality_warning", 1, "malformed", 1),
        JSON.convertValue(sundanese.get("dropped"), Map.class));
    for (String language : List.of("yor-Latn", "amh-Ethi")) {
      JsonNode l = stats(published).at("/languages/" + language);
      assertEquals(30, l.get("input_rows").asLong(), language);
      assertEquals(30, l.get("kept").asLong(), language + " (labels spelled yor_Latn count as yor-Latn)");
    }
    assertEquals(1, stats(published).at("/totals/unreadable_shards").asLong());
  }

  @Test
  void conservationHoldsForEveryLanguage() throws IOException {
    stats(published).get("languages").fields().forEachRemaining(e -> {
      long dropped = 0;
      for (JsonNode count : e.getValue().get("dropped")) {
        dropped += count.asLong();
      }
      assertEquals(e.getValue().get("input_rows").asLong(), e.getValue().get("kept").asLong() + dropped, e.getKey());
    });
  }

  @Test
  void quarantineHoldsEveryDroppedRecordWithItsReasonAndSource() {
    List<Row> quarantine = spark.read().parquet(published.resolve("quarantine").toString()).collectAsList();
    assertEquals(8, quarantine.size());
    Map<String, Long> byReason = quarantine.stream().collect(Collectors.groupingBy(r -> r.<String>getAs("reason"), TreeMap::new, Collectors.counting()));
    assertEquals(Map.of("empty", 3L, "exact_duplicate", 1L, "near_duplicate", 1L, "wrong_language", 1L, "quality_warning", 1L, "malformed", 1L), byReason);
    for (Row row : quarantine) {
      assertEquals("sun-Latn", row.getAs("language"));
      String reason = row.getAs("reason");
      if (reason.equals("malformed")) {
        assertTrue(row.<String>getAs("source_file").endsWith("sun-Latn_1.parquet"));
        assertTrue(row.<String>getAs("detail").startsWith("unreadable Parquet"), row.toString());
      } else {
        assertTrue(row.<String>getAs("source_file").endsWith("sun-Latn_0.parquet"));
        assertTrue(row.<String>getAs("raw").contains("\"warc-record-id\""), "the record as read: " + row);
      }
      switch (reason) {
        case "wrong_language" -> assertEquals("labelled yor-Latn", row.getAs("detail"));
        case "quality_warning" -> assertEquals("adult_signals", row.getAs("detail"));
        case "near_duplicate" -> assertTrue(row.<String>getAs("detail").startsWith("similar to <urn:uuid:"), row.toString());
        case "exact_duplicate" -> assertTrue(row.<String>getAs("detail").startsWith("same text as <urn:uuid:"), row.toString());
        default -> { }
      }
    }
  }

  @Test
  void keptTextIsCleanAndEachLongLineIsChunkedNeverCut() throws IOException {
    List<Row> text = spark.read().parquet(published.resolve("text").toString()).where("language = 'sun-Latn'").collectAsList();
    Set<String> kept = text.stream().map(r -> r.<String>getAs("text")).collect(Collectors.toCollection(TreeSet::new));
    Set<String> expected = new TreeSet<>();
    paragraphs.get("sun-Latn").subList(0, 29).forEach(p -> expected.add(CleanText.document(p)));
    String longDocument = CleanText.document(String.join(" ", paragraphs.get("sun-Latn").subList(0, 28)));
    expected.add(longDocument);
    assertEquals(expected, kept);

    Row longRecord = text.stream().filter(r -> r.getAs("text").equals(longDocument)).findFirst().orElseThrow();
    List<Row> chunks =
        spark.read().parquet(published.resolve("tokens").toString())
            .where("source_record = '" + longRecord.getAs("source_record") + "'").orderBy("chunk").collectAsList();
    assertTrue(chunks.size() >= 3, "a ~6 KB line is several 512-token sequences: " + chunks.size());
    long tokens = 0;
    for (int c = 0; c < chunks.size(); c++) {
      Row chunk = chunks.get(c);
      assertEquals(c, (int) chunk.getAs("chunk"));
      int length = chunk.getAs("length");
      assertTrue(length <= 512);
      if (c < chunks.size() - 1) {
        assertEquals(512, length, "every chunk but the last is full");
      }
      tokens += length - 2;
    }
    int[] whole = dev.adapterforge.ops.tokenizer.TokenizerCache.get(dev.adapterforge.prep.PrepOptions.tokenizerOf("mbert")).encode(longDocument);
    assertEquals(whole.length - 2, tokens, "no token lost");
  }

  @Test
  void amharicThroughMbertIsFlaggedWithItsScript() throws IOException {
    JsonNode amharic = stats(published).at("/languages/amh-Ethi/coverage");
    assertEquals("ETHIOPIC", amharic.get("script").asText());
    assertTrue(amharic.get("unk_token_share").asDouble() > 0.5, amharic.toString());
    assertTrue(stats(published).at("/languages/yor-Latn/coverage/unk_token_share").asDouble() < 0.05);
    assertTrue(firstRun.out().contains("amh-Ethi"), firstRun.toString());

    Path refused = testRoot.resolve("refused");
    CommandRun run = prep("--input", tree.toString(), "--languages", "amh-Ethi", "--output", refused.toString(), "--fail-on-unk");
    assertEquals(2, run.exitCode(), run.toString());
    assertTrue(run.err().contains("amh-Ethi (script ETHIOPIC)"), run.toString());
    assertTrue(Files.notExists(refused));
  }

  @Test
  void splitsAreTheSameOnEveryRun() {
    Path again = testRoot.resolve("again");
    CommandRun run = prep("--input", tree.toString(), "--languages", "sun-Latn", "--output", again.toString(), "--conf", "spark.sql.shuffle.partitions=5");
    assertEquals(0, run.exitCode(), run.toString());
    assertEquals(splitOf(published, "sun-Latn"), splitOf(again, "sun-Latn"));
    assertEquals(Set.of("train", "validation", "test"), Set.copyOf(splitOf(published, "sun-Latn").values()));
  }

  private static Map<String, String> splitOf(Path output, String language) {
    return spark.read().parquet(output.resolve("text").toString()).where("language = '" + language + "'").collectAsList().stream()
        .collect(Collectors.toMap(r -> r.<String>getAs("source_record"), r -> r.<String>getAs("split")));
  }

  @Test
  void trainCapDropsTheSameRecordsAndPackingFillsSequences() throws IOException {
    Path capped = testRoot.resolve("capped");
    CommandRun run = prep("--input", tree.toString(), "--languages", "yor-Latn", "--output", capped.toString(),
        "--max-train-bytes", "2000", "--packing", "packed", "--max-length", "128");
    assertEquals(0, run.exitCode(), run.toString());
    JsonNode yoruba = stats(capped).at("/languages/yor-Latn");
    long capDropped = yoruba.at("/dropped/train_cap").asLong();
    assertTrue(capDropped > 0, yoruba.toString());
    long trainBytes = spark.read().parquet(capped.resolve("text").toString()).where("split = 'train'").collectAsList().stream()
        .mapToLong(r -> r.<String>getAs("text").getBytes(java.nio.charset.StandardCharsets.UTF_8).length).sum();
    assertTrue(trainBytes <= 2000, "train bytes " + trainBytes);

    List<Row> sequences = spark.read().parquet(capped.resolve("tokens").toString()).collectAsList();
    Map<String, List<Integer>> lengths = sequences.stream().collect(Collectors.groupingBy(r -> r.<String>getAs("split"),
        Collectors.mapping(r -> r.<Integer>getAs("length"), Collectors.toList())));
    lengths.forEach((split, l) -> assertTrue(l.stream().filter(n -> n < 128).count() <= 1, split + ": only the last sequence is short: " + l));
  }

  /** Bytes a decoder would turn into U+FFFD: a lone surrogate in CESU-8 ({@code ED A0 80}) at byte 6. */
  @Test
  void contentThatIsNotUtf8IsQuarantinedAsMalformedWithItsByteOffset() throws IOException {
    Path root = testRoot.resolve("invalid-utf8");
    String sundanese = paragraphs.get("sun-Latn").get(0);
    Dataset<Row> records =
        spark.createDataFrame(
                List.of(
                    GlotccColumns.shardRow("sun-Latn/0", sundanese, "sun_Latn", List.of()),
                    GlotccColumns.shardRow("sun-Latn/1", "replaced below", "sun_Latn", List.of())),
                GlotccColumns.SHARD_SCHEMA)
            .withColumn(
                GlotccColumns.CONTENT,
                // binary cast to string keeps the bytes unchecked, as a foreign Parquet writer may
                when(col(GlotccColumns.CONTENT).equalTo("replaced below"),
                        unhex(lit(HexFormat.of().formatHex("Ulah ".getBytes(StandardCharsets.UTF_8)) + "2DEDA080" + "61")).cast("string"))
                    .otherwise(col(GlotccColumns.CONTENT)));
    GlotccSampleTree.writeShard(records, root.resolve("v1.0/sun-Latn/sun-Latn_0.parquet"));
    Path output = testRoot.resolve("invalid-utf8-out");
    CommandRun run = prep("--input", root.toString(), "--languages", "sun-Latn", "--output", output.toString(), "--near-duplicate-threshold", "0");
    assertEquals(0, run.exitCode(), run.toString());

    JsonNode sundaneseStats = stats(output).at("/languages/sun-Latn");
    assertEquals(2, sundaneseStats.get("input_rows").asLong(), sundaneseStats.toString());
    assertEquals(1, sundaneseStats.get("kept").asLong(), sundaneseStats.toString());
    assertEquals(1, sundaneseStats.at("/dropped/malformed").asLong(), sundaneseStats.toString());
    Row quarantined = spark.read().parquet(output.resolve("quarantine").toString()).collectAsList().get(0);
    assertEquals("malformed", quarantined.getAs("reason"));
    assertTrue(quarantined.<String>getAs("source_record").startsWith("<urn:uuid:"), "the WARC record, to find it by");
    assertEquals("content: invalid UTF-8 at byte 6", quarantined.getAs("detail"));
    assertTrue(spark.read().parquet(output.resolve("text").toString()).collectAsList().stream()
        .noneMatch(row -> row.<String>getAs("text").contains("\uFFFD")), "no replacement character became training text");
  }

  @Test
  void missingFoldersAndBadOptionsFailBeforeSpark() {
    CommandRun missing = prep("--input", tree.toString(), "--languages", "zul-Latn", "--output", "x");
    assertEquals(2, missing.exitCode(), missing.toString());
    assertTrue(missing.err().contains("zul-Latn has no folder"), missing.toString());
    CommandRun badName = prep("--input", tree.toString(), "--languages", "sundanese", "--output", "x");
    assertEquals(2, badName.exitCode(), badName.toString());
    CommandRun badThreshold = prep("--input", tree.toString(), "--languages", "sun-Latn", "--output", "x", "--near-duplicate-threshold", "2");
    assertEquals(2, badThreshold.exitCode(), badThreshold.toString());
  }
}
