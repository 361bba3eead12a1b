package dev.adapterforge.ops.encoder;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A batch's real tokens one after another, with no padding: sequence s is rows [offsets[s],
 * offsets[s] + lengths[s]) of every [tokens, ...] value the eager encoder computes.
 *
 * @param ids every real token's id, sequence after sequence
 * @param positions each token's position in its sequence
 */
record PackedSequences(int[] ids, int[] positions, int[] offsets, int[] lengths) {

  /**
   * The real tokens of a DL4J batch: ids [batch, 1, length], padding on the right, and its feature
   * mask [batch, length] (1 for a real token), or none when no sequence is padded.
   */
  static PackedSequences of(INDArray ids, INDArray mask) {
    int batch = (int) ids.size(0);
    int length = (int) ids.size(2);
    float[][] idRows = ids.reshape(batch, length).toFloatMatrix();
    int[] lengths = new int[batch];
    if (mask == null) {
      Arrays.fill(lengths, length);
    } else {
      float[][] maskRows = mask.reshape(batch, length).toFloatMatrix();
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
    for (int s = 0; s < batch; s++) {
      for (int p = 0; p < lengths[s]; p++) {
        packedIds[offsets[s] + p] = (int) idRows[s][p];
        positions[offsets[s] + p] = p;
      }
    }
    return new PackedSequences(packedIds, positions, offsets, lengths);
  }

  int tokens() {
    return ids.length;
  }
}
