package dev.adapterforge.ops.runtime;

import dev.adapterforge.ops.encoder.FusedKernels;
import java.io.Serializable;
import java.util.Properties;
import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The ND4J backend this JVM loaded (nd4j-native or CUDA, chosen by the build profile), its BLAS and
 * thread count, whether an SGEMM computed through it is right, and whether training's
 * fused kernels run ({@link FusedKernels}: they need the Vector API module).
 */
public record Nd4jRuntime(String backend, String blasVendor, int ompThreads, boolean matmulCorrect, boolean fusedKernels)
    implements Serializable {

  /** Float accumulation over the check's 131 terms errs by ~1e-6 of the largest value; wrong kernels by O(1). */
  static final double SGEMM_TOLERANCE = 1e-4;

  /** Loads the backend if this JVM has not yet, then probes it. */
  public static Nd4jRuntime probe() {
    Properties env = Nd4j.getExecutioner().getEnvironmentInformation();
    return new Nd4jRuntime(
        Nd4j.getBackend().getClass().getSimpleName(),
        String.valueOf(env.getOrDefault("blas.vendor", "unknown")),
        Integer.parseInt(String.valueOf(env.getOrDefault("omp.threads", "0"))),
        sgemmRelativeError() <= SGEMM_TOLERANCE,
        FusedKernels.active());
  }

  /**
   * An SGEMM through ND4J's BLAS against a plain double product: the largest error relative to the
   * largest value. Odd sizes reach the kernels' edge cases; some OpenBLAS builds run wrong kernels on
   * CPUs they do not know.
   */
  static double sgemmRelativeError() {
    int m = 97;
    int k = 131;
    int n = 75;
    Random random = new Random(17);
    float[] a = new float[m * k];
    float[] b = new float[k * n];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) random.nextGaussian();
    }
    for (int i = 0; i < b.length; i++) {
      b[i] = (float) random.nextGaussian();
    }
    INDArray product =
        Nd4j.gemm(Nd4j.create(a, new long[] {m, k}, 'c'), Nd4j.create(b, new long[] {k, n}, 'c'), false, false);
    float[] computed = product.dup('c').data().asFloat();
    double worst = 0;
    double largest = 0;
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        double expected = 0;
        for (int p = 0; p < k; p++) {
          expected += (double) a[i * k + p] * b[p * n + j];
        }
        worst = Math.max(worst, Math.abs(computed[i * n + j] - expected));
        largest = Math.max(largest, Math.abs(expected));
      }
    }
    return worst / largest;
  }
}
