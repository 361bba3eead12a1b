package dev.adapterforge.bench;

import dev.adapterforge.ops.adapters.AdapterMethod;
import dev.adapterforge.ops.mlm.MlmTrainer;
import dev.adapterforge.ops.model.ModelArchitecture;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The matrix-product FLOPs of one adapter training step that the step needs, counted analytically
 * (a multiply-add is 2 FLOPs; element-wise ops, softmax, LayerNorm and the optimizer are not
 * counted). Over the real tokens only, T = Σ n_i for sequence lengths n_i, since the eager runtime
 * packs sequences and computes no padding; P = the head's positions: the masked tokens M = Σ m_i
 * (head {@code masked}) or T (head {@code all}). With hidden H, FFN width F, vocabulary V, L layers:
 *
 * <ul>
 *   <li>frozen projections, forward: 2T(4H² + 2HF) per layer, but in the masked head's last layer
 *       only keys and values are needed at every token, the rest at the masked ones: 2T·2H² +
 *       2M(2H² + 2HF); backward: the same again, for activation gradients only (frozen weights get
 *       none), and only above the lowest trainable tensor: none in the first layer for {@code
 *       seq_bn} (its adapter follows that layer's FFN), all of it but the query, key and value
 *       projections' input gradients for {@code lora}, all of it for {@code seq_bn_inv};
 *   <li>attention scores QKᵀ and context AV, forward: 4H Σ n_i² per layer, 4H Σ m_i n_i in the masked
 *       head's last layer; backward: twice that, above the lowest trainable tensor;
 *   <li>MLM head, forward: 2PH² (transform) + 2PHV (output projection onto the tied embeddings);
 *       backward: the same again (activation gradients);
 *   <li>adapter weight matrices (W entries each), forward: 2TW per matrix applied to every token,
 *       2(T + P)W for the invertible adapter's, which runs on the embeddings and, inverted, before
 *       the output projection; backward: twice that (activation and weight gradients). Counted at
 *       every token of every layer, a slight over-count in the masked head's last layer.
 * </ul>
 *
 * PyTorch's autograd skips the same backward work below the lowest trainable tensor, so the same
 * formula with the torch script's time measures its useful work, though it also computes the
 * padding and its last layer at every token.
 */
final class TrainingFlops {
  private static final String INVERTIBLE_PREFIX = "nice.";

  private TrainingFlops() {}

  /**
   * @param lengths the batch's sequence lengths
   * @param masked each sequence's masked tokens
   * @param adapterParameters the adapter's parameters by name (only matrices count)
   */
  static double perStep(
      ModelArchitecture a, AdapterMethod method, int[] lengths, int[] masked, MlmTrainer.Head head,
      Map<String, INDArray> adapterParameters) {
    double h = a.hiddenSize();
    double f = a.intermediateSize();
    double tokens = 0;
    double maskedTokens = 0;
    double squares = 0;
    double maskedByLength = 0;
    for (int i = 0; i < lengths.length; i++) {
      tokens += lengths[i];
      maskedTokens += masked[i];
      squares += (double) lengths[i] * lengths[i];
      maskedByLength += (double) masked[i] * lengths[i];
    }
    boolean lastLayerAtMasked = head == MlmTrainer.Head.MASKED;
    double positions = lastLayerAtMasked ? maskedTokens : tokens;

    double forward = 0;
    double backward = 0;
    for (int layer = 0; layer < a.numHiddenLayers(); layer++) {
      boolean atMasked = lastLayerAtMasked && layer == a.numHiddenLayers() - 1;
      // queries, attention output and FFN at these rows; keys and values at every token
      double rows = atMasked ? maskedTokens : tokens;
      double projections = 2 * tokens * 2 * h * h + 2 * rows * (2 * h * h + 2 * h * f);
      double attention = 4 * h * (atMasked ? maskedByLength : squares);
      forward += projections + attention;
      double layerBackward = projections + 2 * attention;
      if (layer == 0) {
        // by where the method's lowest trainable tensor is
        layerBackward =
            switch (method) {
              case SEQ_BN -> 0;
              case LORA -> layerBackward - 2 * h * h * (2 * tokens + rows);
              default -> layerBackward;
            };
      }
      backward += layerBackward;
    }

    double mlmHead = 2 * positions * h * (h + a.vocabSize());
    double adapter = 0;
    for (Map.Entry<String, INDArray> parameter : adapterParameters.entrySet()) {
      INDArray value = parameter.getValue();
      if (value.rank() == 2 && value.size(0) > 1) { // biases are [1, n]
        double rows = parameter.getKey().startsWith(INVERTIBLE_PREFIX) ? tokens + positions : tokens;
        adapter += 2 * rows * value.length();
      }
    }
    return forward + backward + 2 * mlmHead + 3 * adapter;
  }
}
