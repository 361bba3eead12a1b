package dev.adapterforge.ops.encoder;

import java.util.Arrays;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A batch's real tokens one after another, with no padding: sequence s is rows [offsets[s],
 * offsets[s] + lengths[s]) of every [tokens, ...] value the eager encoder computes.
 *
 * @param ids every real token's id, sequence after sequence
 * @param positions each token's position in its sequence
 * @param predicted the rows whose MLM prediction the loss reads (ascending), as the feature mask
 *     marks them with {@link EncoderLayer#PREDICTED}; empty if none is marked
 */
record PackedSequences(int[] ids, int[] positions, int[] offsets, int[] lengths, int[] predicted) {
  /**
   * The real tokens of a DL4J batch: ids [batch, 1, length], padding on the right, and its feature
   * mask [batch, length] (0 padding, 1 a token, {@link EncoderLayer#PREDICTED} a token the loss
   * predicts), or none when no sequence is padded.
   */
  static PackedSequences of(INDArray ids, INDArray mask) {
    int batch = (int) ids.size(0);
    int length = (int) ids.size(2);
    float[][] idRows = ids.reshape(batch, length).toFloatMatrix();
    float[][] maskRows = mask == null ? null : mask.reshape(batch, length).toFloatMatrix();
    int[] lengths = new int[batch];
    if (maskRows == null) {
      Arrays.fill(lengths, length);
    } else {
      for (int s = 0; s < batch; s++) {
        while (lengths[s] < length && maskRows[s][lengths[s]] != 0) {
          lengths[s]++;
        }
      }
    }
    int[] offsets = new int[batch];
    int tokens = 0;
    for (int s = 0; s < batch; s++) {
      offsets[s] = tokens;
      tokens += lengths[s];
    }
    int[] packedIds = new int[tokens];
    int[] positions = new int[tokens];
    IntStream.Builder predicted = IntStream.builder();
    for (int s = 0; s < batch; s++) {
      for (int p = 0; p < lengths[s]; p++) {
        packedIds[offsets[s] + p] = (int) idRows[s][p];
        positions[offsets[s] + p] = p;
        if (maskRows != null && maskRows[s][p] == EncoderLayer.PREDICTED) {
          predicted.add(offsets[s] + p);
        }
      }
    }
    return new PackedSequences(packedIds, positions, offsets, lengths, predicted.build().toArray());
  }

  int tokens() {
    return ids.length;
  }

  /** The sequence each row belongs to. */
  int sequenceOf(int row) {
    int index = Arrays.binarySearch(offsets, row);
    // an empty sequence shares the next one's offset: the row is in the last sequence at its offset
    if (index >= 0) {
      while (index + 1 < offsets.length && offsets[index + 1] == row) {
        index++;
      }
      return index;
    }
    return -index - 2;
  }

  /**
   * The predicted rows as query ranges per sequence: rows [offsets[s], offsets[s] + lengths[s]) of
   * a [predicted, ...] value are sequence s's predicted rows.
   */
  Ranges predictedRanges() {
    int[] counts = new int[offsets.length];
    for (int row : predicted) {
      counts[sequenceOf(row)]++;
    }
    int[] starts = new int[offsets.length];
    for (int s = 1; s < offsets.length; s++) {
      starts[s] = starts[s - 1] + counts[s - 1];
    }
    return new Ranges(starts, counts);
  }

  /** Row ranges, one per sequence. */
  record Ranges(int[] offsets, int[] lengths) {}
}
