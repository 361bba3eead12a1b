package dev.adapterforge.doctor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adapterforge.job.SparkTestBase;
import dev.adapterforge.ops.runtime.BlasChoice;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/**
 * The application jar on real separate executor JVMs (local-cluster[2,1,1024], REFERENCE section 1),
 * submitted the two ways users submit it: spark-submit, and bin/adapterforge.
 */
class DoctorOnLocalClusterIT extends SparkTestBase {
  private static final String MASTER = "local-cluster[2,1,1024]";
  private static final Path PROJECT = Path.of(System.getProperty("adapterforge.project.dir"));

  @Test
  void sparkSubmitRunsTheJobInTwoExecutorJvms() throws Exception {
    Path root = freshDirectory("spark-submit");
    List<String> command =
        new ArrayList<>(
            List.of(
                javaExecutable(), "@" + PROJECT.resolve("bin/java17.args"),
                "-cp", System.getenv("SPARK_HOME") + "/jars/*",
                "org.apache.spark.deploy.SparkSubmit",
                "--master", MASTER,
                "--class", "dev.adapterforge.cli.AdapterForge",
                "--conf", "spark.executor.memory=1024m",
                System.getProperty("adapterforge.app.jar"),
                "doctor", "--expect-executors", "2", "--root", root.toString()));
    assertRanOnTwoExecutorJvms(command, root);
  }

  @Test
  void launcherRunsTheJobInTwoExecutorJvms() throws Exception {
    Path root = freshDirectory("launcher");
    List<String> command =
        List.of(
            PROJECT.resolve("bin/adapterforge").toString(),
            "doctor", "--master", MASTER, "--expect-executors", "2", "--root", root.toString());
    assertRanOnTwoExecutorJvms(command, root);
  }

  private void assertRanOnTwoExecutorJvms(List<String> command, Path root) throws Exception {
    Path log = root.resolve("driver.log");
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().put("ADAPTERFORGE_NO_BUILD", "1");
    Process driver = builder.start();
    if (!driver.waitFor(5, TimeUnit.MINUTES)) {
      driver.descendants().forEach(ProcessHandle::destroyForcibly);
      driver.destroyForcibly();
      throw new AssertionError("timed out:\n" + tail(log));
    }
    assertEquals(0, driver.exitValue(), tail(log));

    List<Row> probes = spark.read().format("delta").load(root.resolve("doctor").toString()).collectAsList();
    Set<Long> executorPids = probes.stream().map(r -> r.<Long>getAs("pid")).collect(Collectors.toSet());
    assertEquals(2, executorPids.size(), "executor JVMs: " + executorPids);
    assertFalse(executorPids.contains(driver.pid()), "probes must not run in the driver");
    assertFalse(executorPids.contains(ProcessHandle.current().pid()));
    for (Row probe : probes) {
      assertEquals(driver.pid(), (long) probe.getAs("driver_pid"));
      assertTrue(probe.<Boolean>getAs("matmul_correct"));
      // executors resolve the Vector API module through the job's spark.executor.defaultJavaOptions
      assertTrue(probe.<Boolean>getAs("fused_kernels"));
      // no BLAS named: each executor chose for its CPU (BlasPlugin), as the rule says for this one
      String rule = BlasChoice.ruleFor(BlasChoice.cpuVendor()).equals(BlasChoice.MKL) ? "MKL" : "OPENBLAS";
      assertEquals(rule, probe.getAs("blas"));
    }
  }

  private static String javaExecutable() {
    return ProcessHandle.current().info().command().orElse("java");
  }

  private static String tail(Path log) throws IOException {
    List<String> lines = Files.readAllLines(log);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
  }
}
