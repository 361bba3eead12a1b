package dev.adapterforge.ops.encoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Packing a padded batch, its predicted rows, and their per-sequence ranges, empty sequences included. */
class PackedSequencesTest {
  private static final float P = EncoderLayer.PREDICTED;

  @Test
  void packsRealTokensAndFindsPredictedRows() {
    INDArray ids = Nd4j.createFromArray(new float[][][] {{{7, 8, 9, 0}}, {{0, 0, 0, 0}}, {{5, 6, 0, 0}}, {{1, 2, 3, 4}}});
    INDArray mask = Nd4j.createFromArray(new float[][] {{1, P, P, 0}, {0, 0, 0, 0}, {P, 1, 0, 0}, {1, 1, 1, P}});

    PackedSequences batch = PackedSequences.of(ids.castTo(DataType.FLOAT), mask);

    assertArrayEquals(new int[] {7, 8, 9, 5, 6, 1, 2, 3, 4}, batch.ids());
    assertArrayEquals(new int[] {0, 1, 2, 0, 1, 0, 1, 2, 3}, batch.positions());
    assertArrayEquals(new int[] {0, 3, 3, 5}, batch.offsets());
    assertArrayEquals(new int[] {3, 0, 2, 4}, batch.lengths());
    assertArrayEquals(new int[] {1, 2, 3, 8}, batch.predicted());
    assertEquals(0, batch.sequenceOf(2));
    assertEquals(2, batch.sequenceOf(3), "the empty sequence before it shares its offset");
    assertEquals(3, batch.sequenceOf(8));
    PackedSequences.Ranges ranges = batch.predictedRanges();
    assertArrayEquals(new int[] {0, 2, 2, 3}, ranges.offsets());
    assertArrayEquals(new int[] {2, 0, 1, 1}, ranges.lengths());
  }

  @Test
  void anUnmarkedBatchPredictsNothing() {
    INDArray ids = Nd4j.createFromArray(new float[][][] {{{7, 8}}});
    assertArrayEquals(new int[0], PackedSequences.of(ids, null).predicted());
    assertArrayEquals(new int[0], PackedSequences.of(ids, Nd4j.ones(DataType.FLOAT, 1, 2)).predicted());
  }
}
