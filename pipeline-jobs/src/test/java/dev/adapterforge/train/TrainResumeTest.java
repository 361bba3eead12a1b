package dev.adapterforge.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adapterforge.cli.AdapterForge;
import dev.adapterforge.job.CommandRun;
import dev.adapterforge.job.SparkTestBase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code train --resume} continues only the run that made the checkpoint. */
class TrainResumeTest extends SparkTestBase {
  private static TinyTrainingData.Workspace tiny;

  @BeforeAll
  static void tinyModelAndData() throws IOException {
    tiny = TinyTrainingData.Workspace.under(spark, testRoot, 40);
  }

  private static CommandRun train(Path output, String... extra) {
    List<String> args = new ArrayList<>(List.of(
        "train", "--root", testRoot.toString(), "--data", tiny.data().toString(), "--base-model", tiny.model().directory().toString(),
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

  private static void deleteRecursively(Path folder) throws IOException {
    try (Stream<Path> files = Files.walk(folder)) {
      for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(file);
      }
    }
  }
}
