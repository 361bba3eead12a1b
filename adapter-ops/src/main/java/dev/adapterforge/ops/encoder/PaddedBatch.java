package dev.adapterforge.ops.encoder;

import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Token-id sequences padded on the right to the longest of them, with their attention mask: what
 * the encoder reads. Row {@code r} of the encoder's [batch × length, hidden] output is sequence
 * {@code r / length}, position {@code r % length}.
 */
public record PaddedBatch(int[][] ids, float[][] attentionMask, int length) {

  /**
   * @throws IllegalArgumentException if a sequence is longer than {@code maxLength}
   */
  public static PaddedBatch of(List<int[]> sequences, int padId, int maxLength) {
    int length = sequences.stream().mapToInt(ids -> ids.length).max().orElse(0);
    if (length > maxLength) {
      throw new IllegalArgumentException(
          String.format("a sequence is %d tokens long, the model reads at most %d", length, maxLength));
    }
    int[][] ids = new int[sequences.size()][length];
    float[][] attentionMask = new float[sequences.size()][length];
    for (int s = 0; s < ids.length; s++) {
      int[] sequence = sequences.get(s);
      Arrays.fill(ids[s], padId);
      System.arraycopy(sequence, 0, ids[s], 0, sequence.length);
      Arrays.fill(attentionMask[s], 0, sequence.length, 1f);
    }
    return new PaddedBatch(ids, attentionMask, length);
  }

  public int size() {
    return ids.length;
  }

  /** The encoder output row of a sequence's position. */
  public int row(int sequence, int position) {
    return sequence * length + position;
  }

  INDArray idsArray() {
    return Nd4j.createFromArray(ids);
  }

  INDArray attentionMaskArray(DataType dataType) {
    return Nd4j.createFromArray(attentionMask).castTo(dataType);
  }
}
