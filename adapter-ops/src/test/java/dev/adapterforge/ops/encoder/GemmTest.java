package dev.adapterforge.ops.encoder;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * {@link Gemm} against ND4J's mmul of copies: every transposition, alpha and beta, column blocks
 * of wider matrices (a row stride beyond the width, and an offset), and the layouts the direct
 * call cannot address (column-major, doubles), which go through {@link Nd4j#gemm}.
 */
class GemmTest {
  @Test
  void matchesNd4jOnEveryTranspositionAndOnColumnBlocks() {
    Nd4j.getRandom().setSeed(3);
    // columns [5, 22) of [.., 30] matrices: row stride 30, offset 5
    INDArray wideA = Nd4j.rand(DataType.FLOAT, 40, 30);
    INDArray wideB = Nd4j.rand(DataType.FLOAT, 40, 30);
    for (boolean transposeA : new boolean[] {false, true}) {
      for (boolean transposeB : new boolean[] {false, true}) {
        // op(a) is [17, 40]: the transpose of a [40, 17] column block, or a dense copy of it
        INDArray block = wideA.get(NDArrayIndex.all(), NDArrayIndex.interval(5, 22));
        INDArray opA = block.transpose();
        INDArray inputA = transposeA ? block : opA.dup('c');
        INDArray b = transposeB ? Nd4j.rand(DataType.FLOAT, 9, 40) : Nd4j.rand(DataType.FLOAT, 40, 9);
        INDArray opB = transposeB ? b.transpose() : b;
        INDArray c = Nd4j.rand(DataType.FLOAT, 17, 9);
        INDArray expected = opA.mmul(opB).muli(0.5).addi(c.mul(2));

        assertSame(c, Gemm.multiply(inputA, b, c, transposeA, transposeB, 0.5, 2));
        assertClose(expected, c, "a" + (transposeA ? "ᵀ" : "") + " · b" + (transposeB ? "ᵀ" : ""));
      }
    }
    INDArray untouched = wideB.dup();
    INDArray c = wideB.get(NDArrayIndex.interval(0, 17), NDArrayIndex.interval(3, 12));
    INDArray a = wideA.get(NDArrayIndex.interval(0, 17), NDArrayIndex.all());
    INDArray b = Nd4j.rand(DataType.FLOAT, 30, 9);
    Gemm.multiply(a, b, c, false, false, 1, 0);
    assertClose(a.mmul(b), c, "into a column block");
    untouched.get(NDArrayIndex.interval(0, 17), NDArrayIndex.interval(3, 12)).assign(c);
    assertClose(untouched, wideB, "the matrix around the block");
  }

  @Test
  void layoutsCblasCannotAddressGoThroughNd4j() {
    INDArray a = Nd4j.rand(DataType.FLOAT, 6, 4).dup('f');
    INDArray b = Nd4j.rand(DataType.DOUBLE, 4, 5);
    INDArray c = Nd4j.create(DataType.FLOAT, new long[] {6, 5}, 'f');
    Gemm.multiply(a, b.castTo(DataType.FLOAT), c, false, false, 1, 0);
    assertClose(a.mmul(b.castTo(DataType.FLOAT)), c, "column-major");
    INDArray d = Nd4j.create(DataType.DOUBLE, 6, 5);
    Gemm.multiply(a.castTo(DataType.DOUBLE), b, d, false, false, 1, 0);
    assertClose(a.castTo(DataType.DOUBLE).mmul(b), d, "doubles");
  }

  @Test
  void shapesThatDoNotMultiplyAreRefused() {
    INDArray a = Nd4j.rand(DataType.FLOAT, 6, 4);
    INDArray b = Nd4j.rand(DataType.FLOAT, 5, 3);
    INDArray c = Nd4j.create(DataType.FLOAT, 6, 3);
    IllegalArgumentException error =
        assertThrows(IllegalArgumentException.class, () -> Gemm.multiply(a, b, c, false, false, 1, 0));
    assertTrue(error.getMessage().contains("[6, 4] by [5, 3] into [6, 3]"), error.getMessage());
    INDArray fitting = Nd4j.rand(DataType.FLOAT, 4, 3);
    INDArray wrongC = Nd4j.create(DataType.FLOAT, 6, 4);
    assertThrows(IllegalArgumentException.class, () -> Gemm.multiply(a, fitting, wrongC, false, false, 1, 0));
  }

  private static void assertClose(INDArray expected, INDArray actual, String what) {
    double difference =
        expected.castTo(DataType.DOUBLE).sub(actual.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
    double scale = Math.max(1, expected.amaxNumber().doubleValue());
    assertTrue(difference <= 1e-5 * scale, what + " differs by " + difference);
  }
}
