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
    // MKL and the fused kernels through bin/java17.args; OpenBLAS and the composed ops in the build's
    // second run of the eager runtime's tests
    assertEquals(System.getProperty("adapterforge.test.blas"), runtime.blasVendor());
    assertEquals(Boolean.getBoolean("adapterforge.test.fusedKernels"), runtime.fusedKernels());
    assertTrue(runtime.ompThreads() > 0, "omp threads: " + runtime.ompThreads());
  }
}
