package dev.adapterforge.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adapterforge.cli.AdapterForge;
import dev.adapterforge.job.CommandRun;
import org.junit.jupiter.api.Test;

/** What train refuses before any Spark work, and the GPU cluster config it reads. */
class TrainCommandTest {
  private static CommandRun train(String... args) {
    String[] all = new String[args.length + 1];
    all[0] = "train";
    System.arraycopy(args, 0, all, 1, args.length);
    return CommandRun.of(new AdapterForge(), all);
  }

  private static void assertUsageError(CommandRun run, String message) {
    assertEquals(2, run.exitCode(), run.toString());
    assertTrue(run.err().contains(message), run.toString());
  }

  @Test
  void badOptionsNameThemselves() {
    assertUsageError(train("--data", "x", "--languages", "mt", "--method", "adapterdrop"), "--method: unknown adapter method \"adapterdrop\"");
    assertUsageError(train("--data", "x", "--languages", "mt", "--method", "lora", "--target-modules", "dense"), "unknown module \"dense\"");
    assertUsageError(train("--data", "x", "--languages", "mt", "--method", "seq_bn", "--steps", "0"), "--steps: must be >= 1, got 0");
    assertUsageError(train("--data", "x", "--languages", "mt", "--method", "lt_sft", "--ft-params-proportion", "2"), "--ft-params-proportion: must be in (0, 1], got 2.0");
    assertUsageError(train("--data", "no-such-prep-output", "--languages", "mt", "--method", "seq_bn"), "--data: no-such-prep-output does not exist");
  }

  @Test
  void theGpuClusterConfigsAreValidForTrain() {
    assertUsageError(
        train(
            "--conf", "../conf/gpu-cluster.conf", "--conf", "../conf/gpu-training.conf",
            "--data", "no-such-prep-output", "--languages", "mt"),
        "--data: no-such-prep-output does not exist");
  }
}
