package dev.adapterforge.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adapterforge.cli.AdapterForge;
import dev.adapterforge.job.CommandRun;
import dev.adapterforge.job.SparkTestBase;
import dev.adapterforge.ops.adapters.AdapterArtifact;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code train} in this JVM's local Spark: a resume under other settings, and a language with little data. */
class TrainInProcessTest extends SparkTestBase {
  private static TinyTrainingData.Workspace tiny;

  @BeforeAll
  static void tinyModelAndData() throws IOException {
    tiny = TinyTrainingData.Workspace.under(spark, testRoot, 40);
  }

  private static CommandRun train(Path output, String... extra) {
    return train(tiny.data(), output, extra);
  }

  private static CommandRun train(Path data, Path output, String... extra) {
    List<String> args = new ArrayList<>(List.of(
        "train", "--root", testRoot.toString(), "--data", data.toString(), "--base-model", tiny.model().directory().toString(),
        "--languages", TinyTrainingData.LANGUAGE, "--steps", "5", "--eval-every", "5", "--batch-size-per-worker", "4",
        "--output", output.toString()));
    args.addAll(List.of(extra));
    return CommandRun.of(new AdapterForge(), args.toArray(String[]::new));
  }

  private static void assertRefused(CommandRun run, String... fragments) {
    assertEquals(2, run.exitCode(), run.toString());
    assertEquals(1, run.err().strip().lines().count(), run.toString());
    for (String fragment : fragments) {
      assertTrue(run.err().contains(fragment), "'" + fragment + "' in " + run);
    }
  }

  @Test
  void aResumeUnderOtherSettingsIsRefusedNamingTheFieldAndBothValues() throws IOException {
    Path output = freshDirectory("resume");
    CommandRun first = train(output, "--method", "seq_bn", "--reduction-factor", "4");
    assertEquals(0, first.exitCode(), first.toString());
    // what a killed run leaves: its run folder with the checkpoint, no adapter yet
    deleteRecursively(output.resolve("xx-seq_bn"));

    assertRefused(train(output, "--method", "seq_bn", "--reduction-factor", "2", "--resume"),
        "--resume: the checkpoint in " + output.resolve("xx-seq_bn.run"),
        "made with hyperparameters.reduction_factor 4, this run has 2", "without --resume to start over");
    assertRefused(train(output, "--method", "seq_bn", "--reduction-factor", "4", "--lr", "2e-4", "--resume"),
        "made with --lr 1.0E-4, this run has 2.0E-4");

    // the case: a seq_bn checkpoint where a lora run looks for its own
    Files.move(output.resolve("xx-seq_bn.run"), output.resolve("xx-lora.run"));
    assertRefused(train(output, "--method", "lora", "--resume"), "made with --method \"seq_bn\", this run has \"lora\"");
    assertFalse(Files.exists(output.resolve("xx-lora")), "nothing saved under the other method's name");

    Files.move(output.resolve("xx-lora.run"), output.resolve("xx-seq_bn.run"));
    CommandRun resumed = train(output, "--method", "seq_bn", "--reduction-factor", "4", "--resume");
    assertEquals(0, resumed.exitCode(), "the same settings resume: " + resumed);
  }

  /** Too few documents for a validation split: the job carves one from train rather than fail. */
  @Test
  void aLanguageWithoutAValidationSplitValidatesOnSequencesCarvedFromTrain() throws IOException {
    Path data = testRoot.resolve("no-validation");
    TinyTrainingData.prepared(spark, tiny.model(), data, 30, 0);
    Path output = freshDirectory("no-validation-out");
    CommandRun run = train(data, output, "--method", "seq_bn", "--reduction-factor", "4");
    assertEquals(0, run.exitCode(), run.toString());
    assertTrue(run.out().contains("3 (carved from train)"), "a tenth of 30, and where they came from: " + run.out());
    var metrics = AdapterArtifact.read(output.resolve("xx-seq_bn"), tiny.model()).lineage().metrics();
    assertEquals(3.0, metrics.get("validation_sequences"));
    assertEquals(1.0, metrics.get("validation_carved_from_train"));
    assertTrue(metrics.get("mlm_loss") > 0, metrics.toString());

    Path single = testRoot.resolve("one-sequence");
    TinyTrainingData.prepared(spark, tiny.model(), single, 1, 0);
    CommandRun alone = train(single, freshDirectory("one-sequence-out"), "--method", "seq_bn", "--reduction-factor", "4");
    assertEquals(0, alone.exitCode(), "trains without choosing: " + alone);
    assertTrue(alone.out().contains("0 (none)"), alone.out());
  }

  private static void deleteRecursively(Path folder) throws IOException {
    try (Stream<Path> files = Files.walk(folder)) {
      for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(file);
      }
    }
  }
}
