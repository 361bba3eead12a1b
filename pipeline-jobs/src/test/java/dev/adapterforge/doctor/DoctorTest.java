package dev.adapterforge.doctor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adapterforge.cli.AdapterForge;
import dev.adapterforge.job.CommandRun;
import dev.adapterforge.job.SparkTestBase;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

class DoctorTest extends SparkTestBase {
  @Test
  void probesRunAndRoundTripThroughDelta() {
    CommandRun run = CommandRun.of(new AdapterForge(), "doctor", "--root", testRoot.toString(), "--tasks", "3");

    assertEquals(0, run.exitCode(), run.toString());
    assertTrue(run.out().contains("doctor: all checks passed"), run.toString());
    List<Row> rows = spark.read().format("delta").load(testRoot.resolve("doctor").toString()).collectAsList();
    assertEquals(3, rows.size());
    for (Row row : rows) {
      assertEquals("driver", row.getAs("executor_id"));
      assertEquals("CpuBackend", row.getAs("nd4j_backend"));
      assertEquals(Boolean.TRUE, row.getAs("matmul_correct"));
      assertEquals(Boolean.TRUE, row.getAs("fused_kernels"));
      assertEquals(ProcessHandle.current().pid(), (long) row.getAs("pid"));
    }
    assertTrue(spark.sparkContext().isStopped() == false, "the job must not stop a session it did not create");
  }

  @Test
  void failsWhenExpectedExecutorsNeverRan() {
    CommandRun run =
        CommandRun.of(
            new AdapterForge(),
            "doctor", "--root", testRoot.toString(), "--tasks", "2",
            "--expect-executors", "1", "--executor-wait-seconds", "0");

    assertEquals(1, run.exitCode(), run.toString());
    assertTrue(run.out().contains("FAILED: 0 of 1 executors registered within 0 s"), run.toString());
  }
}
