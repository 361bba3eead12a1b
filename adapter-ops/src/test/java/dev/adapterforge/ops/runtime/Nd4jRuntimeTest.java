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
    // MKL through bin/java17.args; OpenBLAS in the build's second run of the GEMM tests
    assertEquals(System.getProperty("adapterforge.test.blas"), runtime.blasVendor());
    assertTrue(runtime.fusedKernels(), "the tests' JVM options add the Vector API module");
    assertTrue(runtime.ompThreads() > 0, "omp threads: " + runtime.ompThreads());
  }
}
