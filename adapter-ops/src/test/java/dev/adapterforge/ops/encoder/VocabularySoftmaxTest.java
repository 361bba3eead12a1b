package dev.adapterforge.ops.encoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The online softmax over vocabulary blocks against the straightforward cross-entropy computed in
 * double: the same losses and gradients to float rounding, over blocks that divide the vocabulary
 * and blocks that leave a narrower last one, with logits spread wide enough that rows' maxima move
 * from block to block.
 */
class VocabularySoftmaxTest {
  private static final int VOCABULARY = 1000;
  private static final int HIDDEN = 48;
  private static final int ROWS = 37;

  @Test
  void theTestJvmRunsTheKernels() {
    assertTrue(FusedKernels.active());
  }

  @ParameterizedTest(name = "block {0}")
  @ValueSource(ints = {64, 128, 1000 / 64 * 64, 1024})
  void givesTheStraightforwardLossesAndGradient(int block) {
    Nd4j.getRandom().setSeed(block);
    INDArray rows = Nd4j.randn(DataType.FLOAT, ROWS, HIDDEN);
    // logits spread over ±~40, so that most rows' maxima move as blocks go by
    INDArray embeddings = Nd4j.randn(DataType.FLOAT, VOCABULARY, HIDDEN).muli(0.9);
    INDArray bias = Nd4j.randn(DataType.FLOAT, VOCABULARY).muli(3);
    int[] targets = targets(new SplittableRandom(block));

    VocabularySoftmax.CrossEntropy expected =
        VocabularySoftmax.whole(
            rows.castTo(DataType.DOUBLE), embeddings.castTo(DataType.DOUBLE), bias.castTo(DataType.DOUBLE), targets,
            true);
    VocabularySoftmax.CrossEntropy blocked = VocabularySoftmax.blocked(rows, embeddings, bias, targets, true, block);

    for (int row = 0; row < ROWS; row++) {
      if (targets[row] < 0) {
        assertTrue(Double.isNaN(blocked.losses()[row]), "row " + row + " has no target");
      } else {
        assertEquals(expected.losses()[row], blocked.losses()[row], 1e-5 * Math.max(1, expected.losses()[row]), "row " + row);
      }
    }
    INDArray gradient = blocked.gradient().castTo(DataType.DOUBLE);
    double relative = gradient.sub(expected.gradient()).norm2Number().doubleValue() / expected.gradient().norm2Number().doubleValue();
    assertTrue(relative < 1e-5, "relative gradient difference " + relative);
    for (int row = 0; row < ROWS; row++) {
      if (targets[row] < 0) {
        assertEquals(0, gradient.getRow(row).norm1Number().doubleValue(), "row " + row + " has no target");
      }
    }

    VocabularySoftmax.CrossEntropy lossesOnly = VocabularySoftmax.blocked(rows, embeddings, bias, targets, false, block);
    assertNull(lossesOnly.gradient());
    assertArrayEquals(blocked.losses(), lossesOnly.losses());
  }

  /**
   * Logits past a bound are computed in blocks, below it whole, and rows come in either order (DL4J
   * hands the loss 'f'-order rows). Exact equality tells which path ran: the two differ in float
   * rounding.
   */
  @Test
  void computesLargeLogitsInBlocksOnRowsInEitherOrder() {
    Nd4j.getRandom().setSeed(3);
    INDArray rows = Nd4j.randn(DataType.FLOAT, ROWS, HIDDEN);
    INDArray embeddings = Nd4j.randn(DataType.FLOAT, VOCABULARY, HIDDEN);
    INDArray bias = Nd4j.randn(DataType.FLOAT, VOCABULARY);
    int[] targets = targets(new SplittableRandom(3));
    long logitsBytes = (long) ROWS * VOCABULARY * Float.BYTES;

    VocabularySoftmax.CrossEntropy blocked =
        VocabularySoftmax.blocked(rows, embeddings, bias, targets, true, VocabularySoftmax.BLOCK);
    VocabularySoftmax.CrossEntropy large =
        VocabularySoftmax.of(rows.dup('f'), embeddings, bias, targets, true, logitsBytes - 1);
    assertArrayEquals(blocked.losses(), large.losses());
    assertEquals(blocked.gradient(), large.gradient());

    VocabularySoftmax.CrossEntropy whole = VocabularySoftmax.whole(rows, embeddings, bias, targets, true);
    VocabularySoftmax.CrossEntropy small =
        VocabularySoftmax.of(rows.dup('f'), embeddings, bias, targets, true, logitsBytes);
    assertArrayEquals(whole.losses(), small.losses());
    assertEquals(whole.gradient(), small.gradient());
  }

  @Test
  void refusesBlocksOffTheVectorLength() {
    INDArray rows = Nd4j.zeros(DataType.FLOAT, 2, HIDDEN);
    INDArray embeddings = Nd4j.zeros(DataType.FLOAT, 100, HIDDEN);
    IllegalArgumentException error =
        assertThrows(
            IllegalArgumentException.class,
            () -> VocabularySoftmax.blocked(rows, embeddings, Nd4j.zeros(DataType.FLOAT, 100), new int[] {0, 1}, true, 100));
    assertTrue(error.getMessage().contains("multiple of 64"), error.getMessage());
  }

  /** Targets in every part of the vocabulary, and a few rows without one. */
  private static int[] targets(SplittableRandom random) {
    int[] targets = new int[ROWS];
    for (int row = 0; row < ROWS; row++) {
      targets[row] = row % 7 == 3 ? -1 : random.nextInt(VOCABULARY);
    }
    return targets;
  }
}
