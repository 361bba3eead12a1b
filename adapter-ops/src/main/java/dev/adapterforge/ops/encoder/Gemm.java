package dev.adapterforge.ops.encoder;

import java.util.Arrays;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.nd4j.linalg.api.blas.Blas;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Matrix products for the tape and the MLM loss, straight to the BLAS's sgemm where the BLAS is
 * OpenBLAS or MKL (both behind the same CBLAS binding) and the matrices are float and row-major
 * with unit column stride. ND4J's {@code Mmul} op, which {@link Nd4j#gemm} runs, adds ~0.5 ms a
 * call on the Xeon of docs/PERFORMANCE.md: an adapter's [1550, 768]·[768, 48] took 1.1 ms through
 * it and 0.55 ms direct, a feed-forward [1550, 768]·[768, 3072] 23.3 and 22.5 ms. Other backends
 * (CUDA), data types and layouts take {@link Nd4j#gemm}.
 */
final class Gemm {
  /** The BLAS ND4J loaded, fixed for the JVM's life. */
  static final Blas.Vendor VENDOR = Nd4j.factory().blas().getBlasVendor();
  // compile-time constants: reading them loads no native library, so other backends never do
  static final int ROW_MAJOR = openblas_nolapack.CblasRowMajor;
  static final int NO_TRANS = openblas_nolapack.CblasNoTrans;
  static final int TRANS = openblas_nolapack.CblasTrans;

  private Gemm() {}

  /** Whether ND4J's BLAS is one the CBLAS binding reaches: OpenBLAS or MKL. */
  static boolean cblas() {
    return VENDOR == Blas.Vendor.OPENBLAS || VENDOR == Blas.Vendor.MKL;
  }

  /**
   * c = alpha · op(a) · op(b) + beta · c.
   *
   * @return c
   * @throws IllegalArgumentException if the shapes do not multiply into c's
   */
  static INDArray multiply(
      INDArray a, INDArray b, INDArray c, boolean transposeA, boolean transposeB, double alpha, double beta) {
    long m = transposeA ? a.size(1) : a.size(0);
    long k = transposeA ? a.size(0) : a.size(1);
    long n = transposeB ? b.size(0) : b.size(1);
    if ((transposeB ? b.size(1) : b.size(0)) != k || c.size(0) != m || c.size(1) != n) {
      throw new IllegalArgumentException(String.format(
          "cannot multiply %s%s by %s%s into %s", Arrays.toString(a.shape()), transposeA ? "ᵀ" : "",
          Arrays.toString(b.shape()), transposeB ? "ᵀ" : "", Arrays.toString(c.shape())));
    }
    if (!(cblas() && addressable(a) && addressable(b) && addressable(c))) {
      return Nd4j.gemm(a, b, c, transposeA, transposeB, alpha, beta);
    }
    openblas_nolapack.cblas_sgemm(
        ROW_MAJOR, transposeA ? TRANS : NO_TRANS, transposeB ? TRANS : NO_TRANS, (int) m, (int) n, (int) k,
        (float) alpha, HostArrays.element(a, 0), (int) a.stride(0), HostArrays.element(b, 0), (int) b.stride(0),
        (float) beta, HostArrays.element(c, 0), (int) c.stride(0));
    return c;
  }

  /** A float matrix, row-major with unit column stride, within CBLAS's int dimensions. */
  private static boolean addressable(INDArray x) {
    return x.rank() == 2
        && x.dataType() == DataType.FLOAT
        && x.stride(1) == 1
        && x.stride(0) >= x.size(1)
        && x.stride(0) <= Integer.MAX_VALUE
        && x.size(0) <= Integer.MAX_VALUE;
  }
}
