package dev.adapterforge.ops.adapters.bottleneck;

import dev.adapterforge.ops.adapters.Adapter;
import dev.adapterforge.ops.adapters.Initialization;
import dev.adapterforge.ops.adapters.PythonNames;
import dev.adapterforge.ops.adapters.PythonTensor;
import dev.adapterforge.ops.encoder.EagerAdapter;
import dev.adapterforge.ops.encoder.EagerHooks;
import dev.adapterforge.ops.encoder.Encoder;
import dev.adapterforge.ops.encoder.HookContext;
import dev.adapterforge.ops.encoder.Tape;
import dev.adapterforge.ops.encoder.Tape.Var;
import dev.adapterforge.ops.model.ModelArchitecture;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BinaryOperator;
import java.util.function.UnaryOperator;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * {@code seq_bn}: in every layer not left out, the feed-forward output becomes {@code output +
 * up(f(down(layerNorm(output + residual))))}, which the layer then normalises with the residual
 * again: the adapters library's computation with its Pfeiffer config, whose keys it is saved under
 * ({@code <model>.encoder.layer.<i>.output.adapters.<name>.adapter_down.0.weight} and {@code
 * adapter_up}).
 */
public final class BottleneckAdapter implements Adapter, EagerAdapter {
  private static final long serialVersionUID = 1L;

  /** The adapters library's safetensors weights file. */
  static final String ADAPTERS_WEIGHTS_FILE = "adapter.safetensors";

  private static final String PREFIX = "seqbn.layer";

  @JsonProperty private int reductionFactor;
  @JsonProperty private String nonLinearity;
  @JsonProperty private List<Integer> leaveOut;
  @JsonProperty private int hiddenSize;
  @JsonProperty private int layers;

  /** For JSON deserialization only. */
  private BottleneckAdapter() {}

  BottleneckAdapter(BottleneckConfig config, ModelArchitecture architecture) {
    this.reductionFactor = config.reductionFactor();
    this.nonLinearity = config.nonLinearity();
    this.leaveOut = new ArrayList<>(config.leaveOut());
    this.hiddenSize = architecture.hiddenSize();
    this.layers = architecture.numHiddenLayers();
    if (bottleneckSize() < 1) {
      throw new IllegalArgumentException(
          "reduction_factor " + reductionFactor + " leaves no bottleneck of hidden size " + hiddenSize);
    }
    for (int layer : leaveOut) {
      if (layer < 0 || layer >= layers) {
        throw new IllegalArgumentException(
            "leave_out names layer " + layer + ", but the model has layers 0.." + (layers - 1));
      }
    }
  }

  @Override
  public BottleneckConfig config() {
    return new BottleneckConfig(reductionFactor, nonLinearity, leaveOut);
  }

  /** As the adapters library sizes it: hidden // reduction_factor. */
  int bottleneckSize() {
    return hiddenSize / reductionFactor;
  }

  @Override
  public void defineParameters(SDLayerParams parameters, ModelArchitecture architecture) {
    for (int layer = 0; layer < layers; layer++) {
      if (!leaveOut.contains(layer)) {
        parameters.addWeightParam(name(layer, "down.weight"), hiddenSize, bottleneckSize());
        parameters.addBiasParam(name(layer, "down.bias"), 1, bottleneckSize());
        parameters.addWeightParam(name(layer, "up.weight"), bottleneckSize(), hiddenSize);
        parameters.addBiasParam(name(layer, "up.bias"), 1, hiddenSize);
      }
    }
  }

  @Override
  public void initializeParameters(Map<String, INDArray> parameters) {
    Initialization.bert(parameters);
  }

  @Override
  public SDVariable feedForwardOutput(
      HookContext context,
      int layer,
      SDVariable output,
      SDVariable residual,
      UnaryOperator<SDVariable> layerNorm) {
    if (leaveOut.contains(layer)) {
      return output;
    }
    SDVariable down =
        layerNorm
            .apply(output.add(residual))
            .mmul(context.parameter(name(layer, "down.weight")))
            .add(context.parameter(name(layer, "down.bias")));
    SDVariable activated =
        Encoder.activation(context.sameDiff(), BottleneckConfig.activation(nonLinearity), down);
    return output.add(
        activated
            .mmul(context.parameter(name(layer, "up.weight")))
            .add(context.parameter(name(layer, "up.bias"))));
  }

  @Override
  public Var feedForwardOutput(
      EagerHooks hooks, int layer, Var output, Var residual, BinaryOperator<Var> residualNorm) {
    if (leaveOut.contains(layer)) {
      return output;
    }
    Tape tape = hooks.tape();
    Var down =
        tape.dense(
            residualNorm.apply(output, residual),
            hooks.parameter(name(layer, "down.weight")),
            hooks.parameter(name(layer, "down.bias")));
    Var activated = tape.activation(BottleneckConfig.activation(nonLinearity), down);
    return tape.add(
        output,
        tape.dense(
            activated, hooks.parameter(name(layer, "up.weight")), hooks.parameter(name(layer, "up.bias"))));
  }

  @Override
  public PythonTensor pythonTensor(String parameter, PythonNames names) {
    // seqbn.layer<i>.<down|up>.<weight|bias>
    String[] parts = parameter.substring(PREFIX.length()).split("\\.");
    String module =
        String.format(
            "%s.encoder.layer.%s.output.adapters.%s.%s",
            names.modelPrefix(),
            parts[0],
            names.adapterName(),
            parts[1].equals("down") ? "adapter_down.0" : "adapter_up");
    String key = module + "." + parts[2];
    return parts[2].equals("weight") ? PythonTensor.linearWeight(key) : PythonTensor.bias(key);
  }

  private static String name(int layer, String tensor) {
    return PREFIX + layer + "." + tensor;
  }
}
