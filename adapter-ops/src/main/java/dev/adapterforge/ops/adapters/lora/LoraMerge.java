package dev.adapterforge.ops.adapters.lora;

import dev.adapterforge.ops.encoder.FrozenWeights;
import dev.adapterforge.ops.encoder.Projection;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * LoRA folded into the projections for inference, PEFT's merge_and_unload: {@code W' = W + scaling
 * · A · B} in a copy of each targeted weight, so the encoder runs without the adapter's extra
 * products. The base weights are never written: a merge keeps them, and unmerging hands back
 * those very arrays, bit for bit (subtracting the update again would not be exact in float).
 */
public final class LoraMerge {
  private final FrozenWeights original;
  private final FrozenWeights merged;

  private LoraMerge(FrozenWeights original, FrozenWeights merged) {
    this.original = original;
    this.merged = merged;
  }

  /**
   * @param parameters the adapter's trained A and B matrices, by the names it declared
   * @throws IllegalArgumentException if one is missing or does not fit the weights
   */
  public static LoraMerge merge(FrozenWeights weights, LoraAdapter adapter, Map<String, INDArray> parameters) {
    LoraConfig config = adapter.config();
    FrozenWeights merged = weights;
    for (int layer = 0; layer < weights.architecture().numHiddenLayers(); layer++) {
      if (!adapter.adapts(layer)) {
        continue;
      }
      for (String module : config.targetModules()) {
        Projection projection = Projection.ofModule(module);
        INDArray update =
            parameter(parameters, LoraAdapter.name(layer, projection, "A"))
                .mmul(parameter(parameters, LoraAdapter.name(layer, projection, "B")))
                .muli(config.scaling());
        INDArray base = weights.projectionWeight(layer, projection);
        merged = merged.withProjectionWeight(layer, projection, base.add(update.castTo(base.dataType())));
      }
    }
    return new LoraMerge(weights, merged);
  }

  private static INDArray parameter(Map<String, INDArray> parameters, String name) {
    INDArray parameter = parameters.get(name);
    if (parameter == null) {
      throw new IllegalArgumentException("no LoRA parameter " + name + "; given: " + parameters.keySet());
    }
    return parameter;
  }

  /** The weights with the updates folded in, for the bare encoder. */
  public FrozenWeights merged() {
    return merged;
  }

  /** The weights as they were before merging. */
  public FrozenWeights unmerge() {
    return original;
  }
}
