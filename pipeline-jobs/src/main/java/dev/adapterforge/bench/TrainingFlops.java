package dev.adapterforge.bench;

import dev.adapterforge.ops.mlm.MlmTrainer;
import dev.adapterforge.ops.model.ModelArchitecture;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The matrix-product FLOPs of one adapter training step, counted analytically (a multiply-add is 2
 * FLOPs; element-wise ops, softmax, LayerNorm and the optimizer are not counted). Over the real
 * tokens only, T = Σ n_i for sequence lengths n_i, since the eager runtime packs sequences and
 * computes no padding; P = the head's positions: the masked tokens M (head {@code masked}) or T
 * (head {@code all}). With hidden H, FFN width F, vocabulary V, L layers:
 *
 * <ul>
 *   <li>frozen projections, forward: L · 2T(4H² + 2HF); backward: the same again, for the
 *       activation gradients only (frozen weights get none);
 *   <li>attention scores QKᵀ and context AV, forward: L · 4H Σ n_i²; backward: twice that;
 *   <li>MLM head, forward: 2PH² (transform) + 2PHV (output projection onto the tied embeddings);
 *       backward: the same again (activation gradients);
 *   <li>adapter weight matrices (W entries each), forward: 2TW per matrix applied to every token,
 *       2(T + P)W for the invertible adapter's, which runs on the embeddings and, inverted, before
 *       the output projection; backward: twice that (activation and weight gradients).
 * </ul>
 *
 * The same formula with the torch script's time measures PyTorch's useful work, though it also
 * computes the padding.
 */
final class TrainingFlops {
  private static final String INVERTIBLE_PREFIX = "nice.";

  private TrainingFlops() {}

  /**
   * @param lengths the batch's sequence lengths
   * @param masked the batch's masked tokens
   * @param adapterParameters the adapter's parameters by name (only matrices count)
   */
  static double perStep(
      ModelArchitecture a, int[] lengths, long masked, MlmTrainer.Head head, Map<String, INDArray> adapterParameters) {
    double h = a.hiddenSize();
    double tokens = 0;
    double squares = 0;
    for (int length : lengths) {
      tokens += length;
      squares += (double) length * length;
    }
    double positions = head == MlmTrainer.Head.MASKED ? masked : tokens;
    double projections = a.numHiddenLayers() * 2 * tokens * (4 * h * h + 2 * h * a.intermediateSize());
    double attention = a.numHiddenLayers() * 4 * h * squares;
    double mlmHead = 2 * positions * h * (h + a.vocabSize());
    double adapter = 0;
    for (Map.Entry<String, INDArray> parameter : adapterParameters.entrySet()) {
      INDArray value = parameter.getValue();
      if (value.rank() == 2 && value.size(0) > 1) { // biases are [1, n]
        double rows = parameter.getKey().startsWith(INVERTIBLE_PREFIX) ? tokens + positions : tokens;
        adapter += 2 * rows * value.length();
      }
    }
    return 2 * projections + 3 * attention + 2 * mlmHead + 3 * adapter;
  }
}
