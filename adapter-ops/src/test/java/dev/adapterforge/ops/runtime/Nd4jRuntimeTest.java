package dev.adapterforge.ops.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class Nd4jRuntimeTest {
  @Test
  void loadsTheCpuBackendOfTheDefaultBuildAndComputesCorrectly() {
    Nd4jRuntime runtime = Nd4jRuntime.probe();

    assertEquals("CpuBackend", runtime.backend());
    assertTrue(runtime.matmulCorrect());
    assertTrue(runtime.fusedKernels(), "the tests' JVM options add the Vector API module");
    assertTrue(runtime.ompThreads() > 0, "omp threads: " + runtime.ompThreads());
  }
}
