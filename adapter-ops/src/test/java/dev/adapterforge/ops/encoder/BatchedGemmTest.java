package dev.adapterforge.ops.encoder;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adapterforge.ops.encoder.BatchedGemm.Product;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * {@link BatchedGemm} against ND4J's 2-D mmul of each matrix copied out: on attention's strided
 * head views (of arrays that are themselves offset views), every transposition, row blocks below
 * OpenBLAS's threading threshold, several threads, and the Mmul fallback for doubles.
 */
class BatchedGemmTest {
  private static final int HEADS = 3;
  private static final int HEAD_SIZE = 8;

  @ParameterizedTest
  @ValueSource(ints = {1, 3})
  void matchesPerMatrixProducts(int threads) {
    Nd4j.getRandom().setSeed(7);
    for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
      // rows [5, 45) of a [50, 24] matrix: the views below are offset twice, as Tape's are
      INDArray tokens = Nd4j.rand(type, 50, HEADS * HEAD_SIZE).get(NDArrayIndex.interval(5, 45), NDArrayIndex.all());
      INDArray other = Nd4j.rand(type, 40, HEADS * HEAD_SIZE);
      // 40 rows of n·k = 40·8 stay under the threshold in one block; 4096 columns force blocks
      INDArray wide = Nd4j.rand(type, HEADS, 40, 4096);
      INDArray wideRight = Nd4j.rand(type, HEADS, 4096, HEAD_SIZE);
      List<Product> products = new ArrayList<>();
      List<INDArray> expected = new ArrayList<>();
      INDArray q = byHead(tokens, 3, 30);
      INDArray k = byHead(other, 7, 30);
      for (boolean transposeA : new boolean[] {false, true}) {
        for (boolean transposeB : new boolean[] {false, true}) {
          // k = HEAD_SIZE throughout: op(a) is [30, 8], or the transpose of an [8, 8] view
          INDArray a = transposeA ? byHead(tokens, 2, HEAD_SIZE) : q;
          INDArray b = transposeB ? k : byHead(other, 0, HEAD_SIZE);
          long m = transposeA ? a.size(2) : a.size(1);
          long n = transposeB ? b.size(1) : b.size(2);
          INDArray c = Nd4j.create(type, HEADS, m, n);
          products.add(new Product(a, b, c, transposeA, transposeB, 0.5));
          expected.add(reference(a, b, transposeA, transposeB, 0.5, c.shape()));
        }
      }
      INDArray strided = Nd4j.create(type, 40, HEADS * HEAD_SIZE);
      INDArray stridedC = byHead(strided, 4, 40 - 4);
      products.add(new Product(byHead(tokens, 4, 36), byHead(other, 0, HEAD_SIZE), stridedC, false, false, 1));
      expected.add(reference(byHead(tokens, 4, 36), byHead(other, 0, HEAD_SIZE), false, false, 1, stridedC.shape()));
      INDArray blocked = Nd4j.create(type, HEADS, 40, HEAD_SIZE);
      products.add(new Product(wide, wideRight, blocked, false, false, 1));
      expected.add(reference(wide, wideRight, false, false, 1, blocked.shape()));
      INDArray wideTransposed = Nd4j.rand(type, HEADS, 4096, 40);
      INDArray blockedTransposed = Nd4j.create(type, HEADS, 40, HEAD_SIZE);
      products.add(new Product(wideTransposed, wideRight, blockedTransposed, true, false, 1));
      expected.add(reference(wideTransposed, wideRight, true, false, 1, blockedTransposed.shape()));

      BatchedGemm.multiply(products, threads);

      for (int i = 0; i < products.size(); i++) {
        INDArray actual = products.get(i).c();
        double difference = Transforms.abs(actual.sub(expected.get(i))).maxNumber().doubleValue()
            / Transforms.abs(expected.get(i)).maxNumber().doubleValue();
        assertTrue(difference < 1e-5, type + " product " + i + ": max relative difference " + difference);
      }
    }
  }

  /** Rows [offset, offset + length) of a [tokens, heads · head size] matrix as [heads, length, head size]. */
  private static INDArray byHead(INDArray x, int offset, int length) {
    return Nd4j.create(
        x.data(),
        new long[] {HEADS, length, HEAD_SIZE},
        new long[] {HEAD_SIZE * x.stride(1), x.stride(0), x.stride(1)},
        x.offset() + offset * x.stride(0),
        'c');
  }

  private static INDArray reference(INDArray a, INDArray b, boolean transposeA, boolean transposeB, double alpha, long[] shape) {
    INDArray result = Nd4j.create(a.dataType(), shape);
    for (int i = 0; i < shape[0]; i++) {
      INDArray left = a.slice(i).dup();
      INDArray right = b.slice(i).dup();
      result.slice(i).assign((transposeA ? left.transpose() : left).mmul(transposeB ? right.transpose() : right).muli(alpha));
    }
    return result;
  }
}
