package dev.adapterforge.ops.encoder;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.mkl.global.mkl_rt;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.nd4j.linalg.api.blas.Blas;
import org.nd4j.linalg.api.blas.params.MMulTranspose;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.Mmul;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Batched matrix products over the leading dimension of rank-3 arrays that may be strided views:
 * attention's per-head products ({@link Tape#attention}).
 *
 * <p>libnd4j computes a batched {@link Mmul} with plain loops: ~30 GFLOP/s on the Xeon of
 * docs/PERFORMANCE.md. So on a CPU backend whose BLAS is OpenBLAS or MKL (both behind the same
 * CBLAS binding), each matrix goes to the BLAS's sgemm in place, its row stride as leading
 * dimension. A head's product is small (64 columns, a sequence's rows), and OpenBLAS threads any
 * call above {@link #SINGLE_THREADED_WORK} multiply-adds: on such small products waking its threads
 * costs more than they give (38 GFLOP/s). Cut into row blocks below that, each call runs on its
 * caller, and the blocks are shared among as many Java threads as the BLAS has (107 GFLOP/s on two
 * cores). MKL threads small calls too, so the Java threads set their own MKL thread count to one for
 * the duration (attention took 790 ms of an mBERT step with MKL's threads, 260 without). Other
 * backends (CUDA), other data types and layouts the BLAS cannot read take the {@link Mmul}.
 */
final class BatchedGemm {
  /** OpenBLAS's gemm runs on the caller's thread up to this m·n·k (SMP_THRESHOLD_MIN · the threshold). */
  private static final double SINGLE_THREADED_WORK = 65536.0 * openblas_nolapack.OPENBLAS_GEMM_MULTITHREAD_THRESHOLD;

  private BatchedGemm() {}

  /** c[i] = alpha · op(a[i]) · op(b[i]) for every i of rank-3 arrays' leading dimension; c is overwritten. */
  record Product(INDArray a, INDArray b, INDArray c, boolean transposeA, boolean transposeB, double alpha) {
    int m() {
      return (int) c.size(1);
    }

    int n() {
      return (int) c.size(2);
    }

    int k() {
      return (int) (transposeA ? a.size(1) : a.size(2));
    }

    boolean blasReadable() {
      return BatchedGemm.blasReadable(a) && BatchedGemm.blasReadable(b) && BatchedGemm.blasReadable(c);
    }

    private void withMmul() {
      Nd4j.exec(
          new Mmul(a, b, c, alpha, 0, MMulTranspose.builder().transposeA(transposeA).transposeB(transposeB).build()));
    }
  }

  /** Computes every product: one fork for all of them, so callers hand over a whole step's at once. */
  static void multiply(List<Product> products) {
    multiply(products, Nd4j.factory().blas().getMaxThreads());
  }

  /** As {@link #multiply(List)}, on at most {@code threads} threads. */
  static void multiply(List<Product> products, int threads) {
    List<RowBlock> blocks = new ArrayList<>();
    for (Product product : products) {
      if (Gemm.cblas() && product.blasReadable()) {
        int rows = (int) Math.max(1, Math.min(product.m(), SINGLE_THREADED_WORK / ((double) product.n() * product.k())));
        for (int i = 0; i < product.c().size(0); i++) {
          for (int row = 0; row < product.m(); row += rows) {
            blocks.add(new RowBlock(product, i, row, Math.min(rows, product.m() - row)));
          }
        }
      } else {
        product.withMmul();
      }
    }
    if (blocks.isEmpty()) {
      return;
    }
    double[] cumulativeWork = new double[blocks.size() + 1];
    for (int i = 0; i < blocks.size(); i++) {
      cumulativeWork[i + 1] = cumulativeWork[i] + blocks.get(i).work();
    }
    int workers = Math.max(1, Math.min(threads, blocks.size()));
    double total = cumulativeWork[blocks.size()];
    boolean mkl = Gemm.VENDOR == Blas.Vendor.MKL;
    IntStream.range(0, workers)
        .parallel()
        .forEach(
            worker -> {
              int previousMklThreads = mkl ? mkl_rt.MKL_Set_Num_Threads_Local(1) : 0;
              int to = firstReaching(cumulativeWork, total * (worker + 1) / workers);
              for (int i = firstReaching(cumulativeWork, total * worker / workers); i < to; i++) {
                blocks.get(i).multiply();
              }
              if (mkl) {
                mkl_rt.MKL_Set_Num_Threads_Local(previousMklThreads);
              }
            });
  }

  /** The first index whose cumulative work reaches {@code work}: workers split by work, not count. */
  private static int firstReaching(double[] cumulativeWork, double work) {
    int index = Arrays.binarySearch(cumulativeWork, work);
    return index >= 0 ? index : -index - 1;
  }

  /** Rows [row, row + rows) of c[i]: op(a[i])'s same rows times op(b[i]). */
  private record RowBlock(Product product, int i, int row, int rows) {
    double work() {
      return (double) rows * product.n() * product.k();
    }

    void multiply() {
      Product p = product;
      INDArray a = p.a();
      // op(a)'s rows are a's rows, or a's columns when transposed
      long aOffset = p.transposeA() ? row : row * a.stride(1);
      openblas_nolapack.cblas_sgemm(
          Gemm.ROW_MAJOR, p.transposeA() ? Gemm.TRANS : Gemm.NO_TRANS, p.transposeB() ? Gemm.TRANS : Gemm.NO_TRANS,
          rows, p.n(), p.k(), (float) p.alpha(), element(a, i, aOffset), (int) a.stride(1), element(p.b(), i, 0),
          (int) p.b().stride(1), 0f, element(p.c(), i, row * p.c().stride(1)), (int) p.c().stride(1));
    }
  }

  /** Float, and each matrix row-major with unit column stride: what a CBLAS call can address. */
  private static boolean blasReadable(INDArray x) {
    return x.rank() == 3 && x.dataType() == DataType.FLOAT && x.stride(2) == 1 && x.stride(1) >= x.size(2);
  }

  /** x's i-th matrix's element at {@code offset}. */
  private static FloatPointer element(INDArray x, int i, long offset) {
    return HostArrays.element(x, i * x.stride(0) + offset);
  }
}
