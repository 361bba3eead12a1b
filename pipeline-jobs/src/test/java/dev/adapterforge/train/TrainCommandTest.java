package dev.adapterforge.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adapterforge.cli.AdapterForge;
import dev.adapterforge.job.CommandRun;
import dev.adapterforge.ops.adapters.sparse.SparseConfig;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

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

  /** composable-sft's K: a share of the targeted weights' entries, or a count. */
  @Test
  void ltSftsKeptEntriesAreAShareOrACount() {
    SparseConfig byShare = (SparseConfig) CommandLine.populateCommand(new AdapterOptions(), "--method", "lt_sft").config(10);
    assertEquals(849_347, byShare.parameterCount(84_934_656));
    SparseConfig byCount =
        (SparseConfig) CommandLine.populateCommand(new AdapterOptions(), "--method", "lt_sft", "--ft-params-num", "7600000").config(10);
    assertEquals(7_600_000, byCount.parameterCount(84_934_656));
    assertUsageError(train("--data", "x", "--languages", "mt", "--method", "lt_sft", "--ft-params-num", "-1"), "--ft-params-num: must be >= 0, got -1");
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
