package dev.adapterforge.ops.runtime;

import dev.adapterforge.ops.encoder.FusedKernels;
import java.io.Serializable;
import java.util.Properties;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The ND4J backend this JVM loaded (nd4j-native or CUDA, chosen by the build profile), its BLAS and
 * thread count, whether a small matrix product computed through it is right, and whether training's
 * fused kernels run ({@link FusedKernels}: they need the Vector API module).
 */
public record Nd4jRuntime(String backend, String blasVendor, int ompThreads, boolean matmulCorrect, boolean fusedKernels)
    implements Serializable {

  /** Loads the backend if this JVM has not yet, then probes it. */
  public static Nd4jRuntime probe() {
    Properties env = Nd4j.getExecutioner().getEnvironmentInformation();
    INDArray a = Nd4j.createFromArray(new float[][] {{1, 2}, {3, 4}});
    INDArray expected = Nd4j.createFromArray(new float[][] {{7, 10}, {15, 22}});
    return new Nd4jRuntime(
        Nd4j.getBackend().getClass().getSimpleName(),
        String.valueOf(env.getOrDefault("blas.vendor", "unknown")),
        Integer.parseInt(String.valueOf(env.getOrDefault("omp.threads", "0"))),
        a.mmul(a).equalsWithEps(expected, 0),
        FusedKernels.active());
  }
}
