package dev.adapterforge.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.adapterforge.cli.AdapterForge;
import dev.adapterforge.job.CommandRun;
import dev.adapterforge.job.SparkTestBase;
import dev.adapterforge.registry.AdapterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The pipeline on a tiny BERT and GlotCC shards of letter runs, run again and again as a scheduler
 * would: a second run does nothing, a new language and a changed corpus rerun only what they affect,
 * and a language that cannot train fails alone.
 */
class PipelineCommandTest extends SparkTestBase {
  private static TinyPipeline tiny;

  @BeforeAll
  static void tinyModel() throws IOException {
    tiny = TinyPipeline.model(testRoot.resolve("tiny-bert"));
  }

  @Test
  void runsOnlyWhatChangedAcrossRepeatedRuns() throws IOException {
    Path root = freshDirectory("incremental");
    Path corpus = root.resolve("glotcc");
    TinyPipeline.shard(spark, corpus, "aaa-Latn", 60, 1);
    TinyPipeline.shard(spark, corpus, "bbb-Latn", 60, 2);
    TinyPipeline.shard(spark, corpus, "ccc-Latn", 60, 3);
    Path conf = tiny.conf(root, corpus, "[aaa-Latn, bbb-Latn]");

    CommandRun first = pipeline(root, conf);
    assertEquals(0, first.exitCode(), first.toString());
    assertEquals(List.of("aaa-Latn", "bbb-Latn"), registeredLanguages(root));
    for (String language : List.of("aaa-Latn", "bbb-Latn")) {
      assertEquals("trained, evaluated base, evaluated, published", status(first, language), first.out());
      // each language evaluated with its own adapter, the base without one
      assertTrue(evaluation(root, language).path("adapter").asText().endsWith("/" + language + "-lora"), first.out());
      assertTrue(evaluation(root, language + ".base").path("adapter").isNull(), first.out());
    }
    Path artifact = trainedArtifact(root, "aaa-Latn");
    FileTime trainedAt = Files.getLastModifiedTime(artifact);

    CommandRun second = pipeline(root, conf);
    assertEquals(0, second.exitCode(), second.toString());
    assertEquals("unchanged", status(second, "aaa-Latn"), second.out());
    assertEquals("unchanged", status(second, "bbb-Latn"), second.out());
    assertTrue(row(second, "aaa-Latn").contains("aaa-Latn-lora v1"), second.out());
    assertEquals(2, registryRows(root));

    // a new language: prep runs again (its settings changed), the others' data did not, so only ccc-Latn trains
    conf = tiny.conf(root, corpus, "[aaa-Latn, bbb-Latn, ccc-Latn]");
    CommandRun third = pipeline(root, conf);
    assertEquals(0, third.exitCode(), third.toString());
    assertEquals("unchanged", status(third, "aaa-Latn"), third.out());
    assertEquals("unchanged", status(third, "bbb-Latn"), third.out());
    assertTrue(status(third, "ccc-Latn").startsWith("trained"), third.out());
    assertEquals(trainedAt, Files.getLastModifiedTime(artifact), "aaa-Latn was trained again");
    assertEquals(List.of("aaa-Latn", "bbb-Latn", "ccc-Latn"), registeredLanguages(root));

    // ccc-Latn's corpus changes: it alone trains again and gets a second version
    TinyPipeline.shard(spark, corpus, "ccc-Latn", 60, 4);
    CommandRun fourth = pipeline(root, conf);
    assertEquals(0, fourth.exitCode(), fourth.toString());
    assertEquals("unchanged", status(fourth, "aaa-Latn"), fourth.out());
    assertTrue(status(fourth, "ccc-Latn").startsWith("trained"), fourth.out());
    assertTrue(row(fourth, "ccc-Latn").contains("ccc-Latn-lora v2"), fourth.out());
    assertEquals(4, registryRows(root));
  }

  @Test
  void theSameCorpusElsewhereAndInAnotherOrderTrainsTheSameAdapter() throws IOException {
    List<String> weights = new ArrayList<>();
    List<String> rows = new ArrayList<>();
    for (boolean reversed : List.of(false, true)) {
      Path root = freshDirectory(reversed ? "reversed" : "forward");
      Path corpus = root.resolve(reversed ? "elsewhere/glotcc" : "glotcc");
      TinyPipeline.shard(spark, corpus, "aaa-Latn", 60, 1, reversed);
      CommandRun run = pipeline(root, tiny.conf(root, corpus, "[aaa-Latn]"));
      assertEquals(0, run.exitCode(), run.toString());
      Path artifact = trainedArtifact(root, "aaa-Latn");
      weights.add(new ObjectMapper().readTree(artifact.resolve("adapter_config.json").toFile()).path("adapterforge").path("weights_sha256").asText());
      rows.add(row(run, "aaa-Latn").replaceAll("\\s\\d+\\.\\d\\s.*$", ""));
    }
    assertEquals(weights.get(0), weights.get(1), "the adapters' weights");
    assertEquals(rows.get(0), rows.get(1), "the losses and pseudo-perplexities");
  }

  @Test
  void aLanguageThatFailsDoesNotStopTheOthers() throws IOException {
    Path root = freshDirectory("failing");
    Path corpus = root.resolve("glotcc");
    TinyPipeline.shard(spark, corpus, "aaa-Latn", 60, 1);
    // one document: it trains (with nothing to choose the best adapter by), but nothing is held out to evaluate on
    TinyPipeline.shard(spark, corpus, "zzz-Latn", 1, 4);
    CommandRun run = pipeline(root, tiny.conf(root, corpus, "[zzz-Latn, aaa-Latn]"));
    assertEquals(1, run.exitCode(), run.toString());
    assertEquals("FAILED: evaluate-mlm of the base model exited 2", status(run, "zzz-Latn"), run.out());
    assertTrue(status(run, "aaa-Latn").contains("published"), run.out());
    assertEquals(List.of("aaa-Latn"), registeredLanguages(root));
  }

  @Test
  void conceptNetFromOneAssertionsFile() throws IOException {
    Path root = freshDirectory("conceptnet");
    Path assertions = root.resolve("conceptnet/assertions.csv");
    TinyPipeline.assertions(assertions, "xx", 120, 1);
    Path conf = tiny.conceptNetConf(root, assertions, "[xx]");
    CommandRun first = pipeline(root, conf);
    assertEquals(0, first.exitCode(), first.toString());
    assertTrue(row(first, "xx").contains("conceptnet") && row(first, "xx").contains("xx-lora v1"), first.out());
    CommandRun again = pipeline(root, conf);
    assertEquals("unchanged", status(again, "xx"), again.out());

    Files.writeString(assertions, Files.readString(assertions) + "/a/[/r/IsA/,/c/xx/o/,/c/xx/a/]\t/r/IsA\t/c/xx/o\t/c/xx/a\t{}\n");
    CommandRun changed = pipeline(root, conf);
    assertEquals(0, changed.exitCode(), changed.toString());
    // a new sentence changes the language's data hash whatever split it falls in
    assertTrue(status(changed, "xx").startsWith("trained") && row(changed, "xx").contains("xx-lora v2"), changed.out());
  }

  @Test
  void stagesLeftOutWaitAndAMissingOptionNamesItsSection() throws IOException {
    Path root = freshDirectory("stages");
    Path corpus = root.resolve("glotcc");
    TinyPipeline.shard(spark, corpus, "aaa-Latn", 60, 1);
    Path conf = tiny.conf(root, corpus, "[aaa-Latn]");
    CommandRun prepOnly = pipeline(root, conf, "--stages", "prep", "--languages", "all");
    assertEquals(0, prepOnly.exitCode(), prepOnly.toString());
    assertEquals("waiting for --stages train", status(prepOnly, "aaa-Latn"), prepOnly.out());

    Files.writeString(conf, Files.readString(conf).replace("method = lora, ", ""));
    CommandRun incomplete = pipeline(root, conf);
    assertEquals(2, incomplete.exitCode(), incomplete.toString());
    assertTrue(incomplete.err().contains("train: Missing required option: '--method=METHOD'") && incomplete.err().contains("'train' section"), incomplete.err());
  }

  private static CommandRun pipeline(Path root, Path conf, String... extra) {
    List<String> args = new ArrayList<>(List.of("pipeline", "--conf", conf.toString(), "--root", root.toString()));
    args.addAll(List.of(extra));
    return CommandRun.of(new AdapterForge(), args.toArray(String[]::new));
  }

  /** The language's row of the summary, the table printed last (prep's own table comes before it). */
  private static String row(CommandRun run, String language) {
    return run.out().lines().filter(line -> line.startsWith(language + " ")).reduce((first, last) -> last).orElse("");
  }

  /** The status column: the text after the wall time. */
  private static String status(CommandRun run, String language) {
    return row(run, language).replaceFirst("^.*\\s\\d+\\.\\d\\s+", "").strip();
  }

  /** The evaluation the ledger recorded for {@code key} ({@code <language>} or {@code <language>.base}). */
  private static JsonNode evaluation(Path root, String key) throws IOException {
    return new ObjectMapper().readTree(root.resolve("pipeline/ledger/evaluate/glotcc/" + key + ".json").toFile()).path("result");
  }

  private static Path trainedArtifact(Path root, String language) throws IOException {
    try (var folders = Files.walk(root.resolve("pipeline/adapters/glotcc"), 2)) {
      return folders.filter(p -> p.getFileName().toString().equals(language + "-lora")).findFirst().orElseThrow();
    }
  }

  private static List<String> registeredLanguages(Path root) {
    return AdapterRegistry.at(spark, root.resolve("registry").toString()).rows()
        .select("language").distinct().orderBy("language").collectAsList().stream().map(r -> r.getString(0)).toList();
  }

  private static long registryRows(Path root) {
    return AdapterRegistry.at(spark, root.resolve("registry").toString()).rows().count();
  }
}
