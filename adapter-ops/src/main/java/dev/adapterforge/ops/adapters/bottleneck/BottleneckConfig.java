package dev.adapterforge.ops.adapters.bottleneck;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.adapterforge.ops.adapters.AdapterConfig;
import dev.adapterforge.ops.adapters.AdapterMethod;
import dev.adapterforge.ops.adapters.PythonNames;
import dev.adapterforge.ops.model.HiddenActivation;
import dev.adapterforge.ops.model.ModelArchitecture;
import java.util.List;

/**
 * {@code seq_bn}, the adapters library's SeqBnConfig (Pfeiffer et al.): after each layer's
 * feed-forward block, down-projection to hidden / {@code reduction_factor}, the non-linearity,
 * up-projection, residual; BERT initialisation (normal, std 0.02; zero biases), so a fresh adapter
 * is close to the identity.
 *
 * @param reductionFactor hidden size / bottleneck size; 16 in the reference setup
 * @param nonLinearity relu (default), gelu, gelu_new, tanh or swish
 * @param leaveOut layers that get no adapter
 */
public record BottleneckConfig(
    @JsonProperty("reduction_factor") int reductionFactor,
    @JsonProperty("non_linearity") String nonLinearity,
    @JsonProperty("leave_out") List<Integer> leaveOut)
    implements AdapterConfig {

  public static final BottleneckConfig DEFAULT = new BottleneckConfig(16, "relu", List.of());

  public BottleneckConfig {
    if (reductionFactor < 1) {
      throw new IllegalArgumentException("reduction_factor must be at least 1, got " + reductionFactor);
    }
    activation(nonLinearity);
    leaveOut = leaveOut == null ? List.of() : List.copyOf(leaveOut);
  }

  public BottleneckConfig withReductionFactor(int factor) {
    return new BottleneckConfig(factor, nonLinearity, leaveOut);
  }

  /**
   * @throws IllegalArgumentException naming the accepted names
   */
  static HiddenActivation activation(String name) {
    return HiddenActivation.fromConfigName(name)
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "non_linearity \"" + name + "\" is not one of " + HiddenActivation.configNames()));
  }

  @Override
  public AdapterMethod method() {
    return AdapterMethod.SEQ_BN;
  }

  @Override
  public BottleneckAdapter create(ModelArchitecture architecture) {
    return new BottleneckAdapter(this, architecture);
  }

  @Override
  public String weightsFile() {
    return BottleneckAdapter.ADAPTERS_WEIGHTS_FILE;
  }

  @Override
  public ObjectNode pythonConfig(PythonNames names) {
    return adaptersLibraryConfig(names, null, null);
  }

  /**
   * The adapters library's {@code adapter_config.json}: its full BnConfig with the Pfeiffer
   * placement and this record's values, plus the model it was saved from.
   *
   * @param invertible "nice" for seq_bn_inv's invertible adapter, else null
   * @param invertibleReductionFactor its reduction factor, else null
   */
  public ObjectNode adaptersLibraryConfig(
      PythonNames names, String invertible, Integer invertibleReductionFactor) {
    ObjectMapper json = new ObjectMapper();
    ObjectNode config = json.createObjectNode();
    config.put("architecture", "bottleneck");
    config.put("mh_adapter", false);
    config.put("output_adapter", true);
    config.put("reduction_factor", reductionFactor);
    config.put("non_linearity", nonLinearity);
    config.put("original_ln_before", true);
    config.put("original_ln_after", true);
    config.put("ln_before", false);
    config.put("ln_after", false);
    config.put("init_weights", "bert");
    config.put("is_parallel", false);
    config.put("scaling", 1.0);
    config.put("use_gating", false);
    config.put("residual_before_ln", true);
    config.put("adapter_residual_before_ln", false);
    config.put("inv_adapter", invertible);
    config.put("inv_adapter_reduction_factor", invertibleReductionFactor);
    config.put("cross_adapter", false);
    leaveOut.forEach(config.putArray("leave_out")::add);
    config.put("dropout", 0.0);
    config.put("phm_layer", false);
    config.put("stochastic_depth", 0.0);
    ObjectNode file = json.createObjectNode();
    file.set("config", config);
    file.put("hidden_size", names.hiddenSize());
    file.put("model_class", names.modelClass());
    file.put("model_name", names.modelName());
    file.put("model_type", names.modelType());
    file.put("name", names.adapterName());
    file.put("version", "adapters.1.1.0");
    return file;
  }
}
