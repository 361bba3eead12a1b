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
    // MKL (named by the build's test JVM options) and the fused kernels (bin/java17.args); OpenBLAS and
    // the composed ops in the build's second run of the eager runtime's tests
    assertEquals(System.getProperty("adapterforge.test.blas"), runtime.blasVendor());
    assertEquals(Boolean.getBoolean("adapterforge.test.fusedKernels"), runtime.fusedKernels());
    assertTrue(runtime.ompThreads() > 0, "omp threads: " + runtime.ompThreads());
  }

  @Test
  void theSgemmCheckSeesFloatRoundingAndNothingMore() {
    double error = Nd4jRuntime.sgemmRelativeError();
    assertTrue(error > 0 && error < Nd4jRuntime.SGEMM_TOLERANCE / 10, "relative error " + error);
  }
}
