package dev.adapterforge.ops.mlm;

/**
 * One sequence as the model reads it after masking, and what it must predict.
 *
 * @param inputIds the ids with the chosen positions replaced (by the mask token, a random token, or
 *     left as they were)
 * @param positions the chosen positions, ascending
 * @param targets the original id at each chosen position
 */
public record MaskedSequence(int[] inputIds, int[] positions, int[] targets) {

  public MaskedSequence {
    if (positions.length != targets.length) {
      throw new IllegalArgumentException(
          positions.length + " positions but " + targets.length + " targets");
    }
  }

  public int maskedCount() {
    return positions.length;
  }
}
