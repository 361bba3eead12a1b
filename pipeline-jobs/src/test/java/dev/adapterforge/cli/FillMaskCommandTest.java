package dev.adapterforge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adapterforge.job.CommandRun;
import org.junit.jupiter.api.Test;

/** The command on the real mBERT weights (REFERENCE section 2: France 0.327, Paris 0.193, Europe 0.108). */
class FillMaskCommandTest {
  @Test
  void mbertFillsTheCapitalOfFrance() {
    CommandRun run = CommandRun.of(new AdapterForge(), "fill-mask", "--text", "Paris is the capital of [MASK].", "--top-k", "3");
    assertEquals(0, run.exitCode(), run.toString());
    String[] lines = run.out().strip().split("\n");
    assertTrue(lines[1].matches("1\\s+France\\s+0\\.327\\d"), run.out());
    assertTrue(lines[2].matches("2\\s+Paris\\s+0\\.193\\d"), run.out());
  }

  @Test
  void aTextWithoutMaskIsAUsageError() {
    CommandRun run = CommandRun.of(new AdapterForge(), "fill-mask", "--text", "no mask here");
    assertEquals(2, run.exitCode(), run.toString());
    assertTrue(run.err().contains("--text: has no mask token"), run.toString());
  }
}
