package dev.adapterforge.ops.encoder;

import dev.adapterforge.ops.encoder.Tape.Var;
import java.util.function.BinaryOperator;

/**
 * An adapter's computation for the eager training runtime ({@link EagerEncoder}): the hooks of
 * {@link EncoderAdapter}, each computing the same function on {@link Tape} values, so that the
 * tape differentiates it. An adapter that implements this trains on the eager runtime; any other
 * trains on SameDiff. EagerEncoderTest holds each implementation to its SameDiff definition.
 */
public interface EagerAdapter {

  /** As {@link EncoderAdapter#embeddingOutput}. */
  default Var embeddingOutput(EagerHooks hooks, Var embeddings) {
    return embeddings;
  }

  /** As {@link EncoderAdapter#projection}. */
  default Var projection(EagerHooks hooks, int layer, Projection projection, Var input, Var output) {
    return output;
  }

  /**
   * As {@link EncoderAdapter#feedForwardOutput}, its {@code layerNorm(sum)} given as {@code
   * residualNorm(x, residual)} = layerNorm(x + residual), which computes the sum inside the norm.
   */
  default Var feedForwardOutput(
      EagerHooks hooks, int layer, Var output, Var residual, BinaryOperator<Var> residualNorm) {
    return output;
  }

  /** As {@link EncoderAdapter#beforeOutputEmbeddings}. */
  default Var beforeOutputEmbeddings(EagerHooks hooks, Var transformed) {
    return transformed;
  }
}
