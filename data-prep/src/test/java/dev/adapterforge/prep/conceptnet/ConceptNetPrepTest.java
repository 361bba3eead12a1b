package dev.adapterforge.prep.conceptnet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.adapterforge.job.CommandRun;
import dev.adapterforge.job.SparkTestBase;
import dev.adapterforge.ops.tokenizer.Tokenizer;
import dev.adapterforge.ops.tokenizer.TokenizerCache;
import dev.adapterforge.prep.PrepOptions;
import dev.adapterforge.prep.PreparedOutput;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * prep-conceptnet on fixture lines in the real dump format (Latin, Ethiopic and Arabic scripts) with
 * the real mBERT tokenizer: every sentence, every count, every quarantined line.
 */
class ConceptNetPrepTest extends SparkTestBase {
  private static final Path FIXTURE = Path.of("samples/conceptnet/assertions.csv");
  private static final String LANGUAGES = "mt,sw,am,ar";
  private static final ObjectMapper JSON = new ObjectMapper();

  private static Path published;
  private static CommandRun firstRun;

  @BeforeAll
  static void prepareOnce() {
    published = testRoot.resolve("out");
    firstRun = prep("--input", FIXTURE.toString(), "--languages", LANGUAGES, "--output", published.toString());
  }

  private static CommandRun prep(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--root", testRoot.toString()));
    return CommandRun.of(new ConceptNetPrep(), all.toArray(String[]::new));
  }

  private static Map<String, Set<String>> sentencesByLanguage(Path output) {
    Map<String, Set<String>> sentences = new TreeMap<>();
    for (Row row : spark.read().parquet(output.resolve("text").toString()).collectAsList()) {
      sentences.computeIfAbsent(row.getAs("language"), l -> new TreeSet<>()).add(row.getAs("text"));
    }
    return sentences;
  }

  /** language|text|split|source_record of every kept sentence. */
  private static Set<String> keptRows(Path output, boolean withRecord) {
    return spark.read().parquet(output.resolve("text").toString()).collectAsList().stream()
        .map(r -> r.getAs("language") + "|" + r.getAs("text") + "|" + r.getAs("split")
            + (withRecord ? "|" + r.getAs("source_record") : ""))
        .collect(Collectors.toCollection(TreeSet::new));
  }

  @Test
  void everyKeptEdgeBecomesThePapersSentence() {
    assertEquals(0, firstRun.exitCode(), firstRun.toString());
    assertEquals(
        Map.of(
            "mt", Set.of("kelb is a type of annimal.", "kelb is a synonym of dog.", "abjad is the opposite of iswed."),
            "sw", Set.of("mbwa is related to paka.", "nyumba belongs to mlango.", "mti mkubwa is a type of mti."),
            "am", Set.of("ውሻ is a synonym of dog.", "ድመት is a type of እንስሳ."),
            "ar", Set.of("كبير is the opposite of صغير.", "كتاب is related to قراءة.")),
        sentencesByLanguage(published));
    assertTrue(Files.exists(published.resolve(PreparedOutput.SUCCESS)));
    assertTrue(firstRun.out().contains("Published"), firstRun.toString());
  }

  @Test
  void everyDroppedLineIsQuarantinedWithItsReasonAndLineNumber() throws IOException {
    List<String> fixture = Files.readAllLines(FIXTURE);
    Set<String> quarantined = new TreeSet<>();
    for (Row row : spark.read().parquet(published.resolve("quarantine").toString()).collectAsList()) {
      int line = Integer.parseInt(row.getAs("source_record"));
      quarantined.add(row.getAs("language") + " " + row.getAs("reason") + " " + line);
      assertEquals(fixture.get(line - 1), row.getAs("raw"), "raw text of line " + line);
      assertTrue(row.<String>getAs("source_file").endsWith("assertions.csv"));
    }
    assertEquals(
        new TreeSet<>(List.of(
            "mt external_url 3", "mt unmapped_relation 4", "mt self_loop 5", "mt duplicate 6",
            "mt malformed 7", "mt malformed 8", "null malformed 19", "null malformed 20")),
        quarantined);
  }

  @Test
  void statsCountEveryLineOnce() throws IOException {
    JsonNode stats = JSON.readTree(published.resolve("stats.json").toFile());
    assertEquals(20, stats.at("/totals/input_lines").asLong());
    assertEquals(2, stats.at("/totals/not_requested").asLong());
    assertEquals(2, stats.at("/totals/malformed_unattributed").asLong());

    JsonNode maltese = stats.at("/languages/mt");
    assertEquals(9, maltese.get("input_lines").asLong());
    assertEquals(3, maltese.get("kept").asLong());
    assertEquals(
        Map.of("duplicate", 1, "external_url", 1, "malformed", 2, "self_loop", 1, "unmapped_relation", 1),
        JSON.convertValue(maltese.get("dropped"), Map.class));
    long inputs = 0;
    for (String language : LANGUAGES.split(",")) {
      JsonNode l = stats.at("/languages/" + language);
      long dropped = 0;
      for (JsonNode count : l.get("dropped")) {
        dropped += count.asLong();
      }
      assertEquals(l.get("input_lines").asLong(), l.get("kept").asLong() + dropped, language);
      long sequences = 0;
      for (JsonNode split : l.get("splits")) {
        sequences += split.get("sequences").asLong();
      }
      assertEquals(l.get("kept").asLong(), sequences, language + ": one short sentence, one sequence");
      inputs += l.get("input_lines").asLong();
    }
    assertEquals(20, inputs + 2 + 2);
    assertEquals("LATIN", maltese.at("/coverage/script").asText());
    assertEquals("ARABIC", stats.at("/languages/ar/coverage/script").asText());
  }

  @Test
  void ethiopicThroughMbertIsFlaggedAndFailOnUnkPublishesNothing() throws IOException {
    JsonNode amharic = JSON.readTree(published.resolve("stats.json").toFile()).at("/languages/am/coverage");
    assertEquals("ETHIOPIC", amharic.get("script").asText());
    // every Ethiopic word (ውሻ, ድመት, እንስሳ) is one [UNK]: mBERT's vocabulary has no Ethiopic characters
    assertEquals(3, amharic.get("unk_tokens").asLong(), amharic.toString());
    assertEquals("ውሻድመትእንስሳ".codePointCount(0, "ውሻድመትእንስሳ".length()), amharic.get("unk_characters").asLong());
    assertTrue(amharic.get("unk_token_share").asDouble() > 0.05, "above the default threshold: " + amharic);
    assertEquals(0.0, JSON.readTree(published.resolve("stats.json").toFile()).at("/languages/sw/coverage/unk_token_share").asDouble());

    Path refused = testRoot.resolve("refused");
    CommandRun run = prep("--input", FIXTURE.toString(), "--languages", LANGUAGES, "--output", refused.toString(), "--fail-on-unk");
    assertEquals(2, run.exitCode(), run.toString());
    assertTrue(run.err().contains("am (script ETHIOPIC)"), run.toString());
    assertFalse(Files.exists(refused), "nothing published");
    try (Stream<Path> leftovers = Files.list(testRoot)) {
      assertTrue(leftovers.noneMatch(p -> p.getFileName().toString().startsWith(".refused")), "no staging left");
    }
  }

  @Test
  void sequencesAreMbertsOwnIds() {
    List<Row> tokens = spark.read().parquet(published.resolve("tokens").toString()).collectAsList();
    assertEquals(10, tokens.size());
    for (Row row : tokens) {
      List<Integer> ids = row.getList(row.fieldIndex("input_ids"));
      assertEquals(101, ids.get(0));
      assertEquals(102, ids.get(ids.size() - 1));
      assertEquals(ids.size(), (int) row.getAs("length"));
    }
    Tokenizer mbert = TokenizerCache.get(PrepOptions.tokenizerOf("mbert"));
    for (Row row : spark.read().parquet(published.resolve("text").toString()).collectAsList()) {
      Row sequence = tokens.stream()
          .filter(t -> t.getAs("source_record").equals(row.getAs("source_record")))
          .findFirst().orElseThrow();
      int[] ids = sequence.getList(sequence.fieldIndex("input_ids")).stream().mapToInt(i -> (Integer) i).toArray();
      assertArrayEquals(mbert.encode(row.getAs("text")), ids);
    }
    Row kelb = tokens.stream().filter(r -> r.<String>getAs("source_record").equals("1")).findFirst().orElseThrow();
    int[] kelbIds = kelb.getList(kelb.fieldIndex("input_ids")).stream().mapToInt(i -> (Integer) i).toArray();
    assertEquals("kelb is a type of annimal.", mbert.decode(kelbIds, true));
  }

  @Test
  void gzipAndFolderOfPartsGiveTheSameSentencesAndSplits() throws IOException {
    Path gz = testRoot.resolve("assertions.csv.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
      out.write(Files.readAllBytes(FIXTURE));
    }
    Path parts = Files.createDirectories(testRoot.resolve("parts"));
    List<String> lines = Files.readAllLines(FIXTURE);
    Files.write(parts.resolve("part-00000"), lines.subList(0, 10), StandardCharsets.UTF_8);
    Files.write(parts.resolve("part-00001"), lines.subList(10, 20), StandardCharsets.UTF_8);

    Path fromGz = testRoot.resolve("from-gz");
    Path fromParts = testRoot.resolve("from-parts");
    assertEquals(0, prep("--input", gz.toString(), "--languages", LANGUAGES, "--output", fromGz.toString()).exitCode());
    assertEquals(0, prep("--input", parts.toString(), "--languages", LANGUAGES, "--output", fromParts.toString()).exitCode());

    assertEquals(keptRows(published, true), keptRows(fromGz, true));
    assertEquals(keptRows(published, false), keptRows(fromParts, false));
    // line 11 of the dump is the first line of the second part
    Row swahili = spark.read().parquet(fromParts.resolve("text").toString())
        .where("text = 'nyumba belongs to mlango.'").first();
    assertEquals("1", swahili.getAs("source_record"), "line numbers count within each file");
    assertTrue(swahili.<String>getAs("source_file").endsWith("part-00001"));
  }

  @Test
  void surfaceTemplatesKeepTheNativePhrasing() {
    Path surface = testRoot.resolve("surface");
    CommandRun run = prep("--input", FIXTURE.toString(), "--languages", "mt", "--templates", "surface", "--output", surface.toString());
    assertEquals(0, run.exitCode(), run.toString());
    assertEquals(
        Map.of("mt", Set.of("kelb is a type of annimal.", "kelb is a synonym of dog.", "abjad huwa l-oppost ta' iswed.")),
        sentencesByLanguage(surface));
  }

  @Test
  void existingOutputIsReplacedOnlyWithOverwrite() {
    CommandRun refused = prep("--input", FIXTURE.toString(), "--languages", "sw", "--output", published.toString());
    assertEquals(2, refused.exitCode(), refused.toString());
    assertTrue(refused.err().contains("already exists; pass --overwrite"), refused.toString());

    Path replaced = testRoot.resolve("replaced");
    assertEquals(0, prep("--input", FIXTURE.toString(), "--languages", "mt", "--output", replaced.toString()).exitCode());
    CommandRun overwritten =
        prep("--input", FIXTURE.toString(), "--languages", "sw", "--output", replaced.toString(), "--overwrite");
    assertEquals(0, overwritten.exitCode(), overwritten.toString());
    assertEquals(Set.of("sw"), sentencesByLanguage(replaced).keySet());
  }

  /** A requested language's line whose bytes are not UTF-8: its language and edge still tell where it came from. */
  @Test
  void aLineThatIsNotUtf8IsQuarantinedAsMalformedWithItsByteOffset() throws IOException {
    String line = Files.readAllLines(FIXTURE).stream().filter(l -> l.contains("\t/c/sw/mbwa/n\t")).findFirst().orElseThrow();
    int at = line.indexOf("/c/sw/paka") + "/c/sw/pa".length();
    byte[] prefix = line.substring(0, at).getBytes(StandardCharsets.UTF_8);
    Path file = testRoot.resolve("invalid-utf8.csv");
    try (OutputStream out = Files.newOutputStream(file)) {
      out.write(prefix);
      out.write(new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80}); // a lone surrogate, CESU-8 style
      out.write(line.substring(at).getBytes(StandardCharsets.UTF_8));
      out.write('\n');
    }
    Path output = testRoot.resolve("invalid-utf8-out");
    CommandRun run = prep("--input", file.toString(), "--languages", "sw", "--output", output.toString(), "--allow-empty");
    assertEquals(0, run.exitCode(), run.toString());
    JsonNode swahili = JSON.readTree(output.resolve("stats.json").toFile()).at("/languages/sw");
    assertEquals(0, swahili.get("kept").asLong(), swahili.toString());
    assertEquals(1, swahili.at("/dropped/malformed").asLong(), swahili.toString());
    Row quarantined = spark.read().parquet(output.resolve("quarantine").toString()).collectAsList().get(0);
    assertEquals("invalid UTF-8 at byte " + prefix.length, quarantined.getAs("detail"));
  }

  /** The case: 64 KB of random bytes is ~250 malformed lines and nothing else. */
  @Test
  void inputWithNothingUsablePublishesNothingUnlessAllowedEmpty() throws IOException {
    byte[] noise = new byte[64 * 1024];
    new Random(7).nextBytes(noise);
    Path file = testRoot.resolve("noise.csv");
    Files.write(file, noise);
    Path output = testRoot.resolve("noise-out");
    CommandRun run = prep("--input", file.toString(), "--languages", "mt", "--output", output.toString());
    assertEquals(1, run.exitCode(), run.toString());
    assertEquals(1, run.err().strip().lines().count(), run.toString());
    assertTrue(run.err().contains("no record of the requested languages was kept") && run.err().contains("malformed"), run.toString());
    assertFalse(Files.exists(output), "nothing published");
    try (Stream<Path> leftovers = Files.list(testRoot)) {
      assertTrue(leftovers.noneMatch(p -> p.getFileName().toString().startsWith(".noise-out")), "no staging left");
    }

    CommandRun allowed = prep("--input", file.toString(), "--languages", "mt", "--output", output.toString(), "--allow-empty");
    assertEquals(0, allowed.exitCode(), allowed.toString());
    assertTrue(Files.exists(output.resolve(PreparedOutput.SUCCESS)));
  }

  @Test
  void badOptionsFailInOneLineBeforeSpark() {
    assertUsage(prep("--input", testRoot.resolve("absent.csv").toString(), "--languages", "mt", "--output", "x"), "--input: no such file");
    assertUsage(prep("--input", FIXTURE.toString(), "--languages", "MT!", "--output", "x"), "'MT!'");
    assertUsage(prep("--input", FIXTURE.toString(), "--languages", "mt", "--output", "x", "--split", "0.5,0.5"), "--split");
    assertUsage(prep("--input", FIXTURE.toString(), "--languages", "mt", "--output", "x", "--templates", "poetry"), "--templates");
    assertUsage(prep("--input", FIXTURE.toString(), "--languages", "mt", "--output", "x", "--base-model", "nope"), "--base-model");
  }

  private static void assertUsage(CommandRun run, String fragment) {
    assertEquals(2, run.exitCode(), run.toString());
    assertEquals(1, run.err().strip().lines().count(), run.toString());
    assertTrue(run.err().contains(fragment), run.toString());
  }
}
