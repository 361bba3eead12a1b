package dev.adapterforge.ops.adapters.sparse;

import dev.adapterforge.ops.adapters.Adapter;
import dev.adapterforge.ops.adapters.PythonNames;
import dev.adapterforge.ops.adapters.PythonTensor;
import dev.adapterforge.ops.encoder.HookContext;
import dev.adapterforge.ops.encoder.Projection;
import dev.adapterforge.ops.model.ModelArchitecture;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * LT-SFT's phase 1: full fine-tuning of the targeted weights, expressed as a dense difference ΔW
 * per weight, zero at the start, added as {@code x · ΔW} to the projection. Its trained parameters
 * only serve to choose the mask; it is not an artifact of its own.
 */
public final class DenseDifferenceAdapter implements Adapter {
  private static final long serialVersionUID = 1L;
  static final String DELTA = "delta";

  @JsonProperty private SparseConfig config;
  @JsonProperty private ModelArchitecture architecture;

  /** For JSON deserialization only. */
  private DenseDifferenceAdapter() {}

  DenseDifferenceAdapter(SparseConfig config, ModelArchitecture architecture) {
    this.config = config;
    this.architecture = architecture;
  }

  @Override
  public SparseConfig config() {
    return config;
  }

  /** Every weight it tunes, in layer order. */
  List<TunedWeight> weights() {
    return IntStream.range(0, architecture.numHiddenLayers())
        .boxed()
        .flatMap(layer -> config.projections().stream().map(p -> new TunedWeight(layer, p)))
        .sorted()
        .toList();
  }

  @Override
  public void defineParameters(SDLayerParams parameters, ModelArchitecture architecture) {
    for (TunedWeight weight : weights()) {
      parameters.addWeightParam(weight.parameter(DELTA), weight.rows(architecture), weight.columns(architecture));
    }
  }

  @Override
  public void initializeParameters(Map<String, INDArray> parameters) {
    parameters.values().forEach(parameter -> parameter.assign(0));
  }

  @Override
  public SDVariable projection(
      HookContext context, int layer, Projection projection, SDVariable input, SDVariable output) {
    if (!config.projections().contains(projection)) {
      return output;
    }
    return output.add(input.mmul(context.parameter(new TunedWeight(layer, projection).parameter(DELTA))));
  }

  /**
   * @throws UnsupportedOperationException always: phase 1 is saved as the sparse difference it
   *     selects
   */
  @Override
  public PythonTensor pythonTensor(String parameter, PythonNames names) {
    throw new UnsupportedOperationException(
        "an LT-SFT phase-1 difference is not an artifact: select its mask (SparseDifference.select) and"
            + " train phase 2");
  }
}
