package dev.adapterforge.ops.adapters.invertible;

import dev.adapterforge.ops.adapters.Adapter;
import dev.adapterforge.ops.adapters.Initialization;
import dev.adapterforge.ops.adapters.PythonNames;
import dev.adapterforge.ops.adapters.PythonTensor;
import dev.adapterforge.ops.adapters.bottleneck.BottleneckAdapter;
import dev.adapterforge.ops.encoder.EagerAdapter;
import dev.adapterforge.ops.encoder.EagerHooks;
import dev.adapterforge.ops.encoder.Encoder;
import dev.adapterforge.ops.encoder.HookContext;
import dev.adapterforge.ops.encoder.Tape;
import dev.adapterforge.ops.encoder.Tape.Var;
import dev.adapterforge.ops.model.HiddenActivation;
import dev.adapterforge.ops.model.ModelArchitecture;
import java.util.Map;
import java.util.function.BinaryOperator;
import java.util.function.UnaryOperator;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * {@code seq_bn_inv}: the bottleneck adapter, and the adapters library's NICECouplingBlock on the
 * embedding output. The hidden vector splits into x1 (the first hidden/2 features) and x2; {@code
 * y1 = x1 + F(x2)}, {@code y2 = x2 + G(y1)}, each subnetwork {@code Linear → f → Linear} narrowing
 * its input by the invertible reduction factor. Before the output projection onto the (tied) word
 * embeddings the exact inverse undoes it: {@code x2 = y2 - G(y1)}, {@code x1 = y1 - F(x2)}.
 * Saved under the library's keys {@code <model>.invertible_adapters.<name>.F.0.weight} (and
 * {@code F.2}, {@code G.0}, {@code G.2}) beside the bottleneck's.
 */
public final class InvertibleAdapter implements Adapter, EagerAdapter {
  private static final long serialVersionUID = 1L;
  private static final String PREFIX = "nice.";

  @JsonProperty private BottleneckAdapter bottleneck;
  @JsonProperty private int invReductionFactor;
  @JsonProperty private String nonLinearity;
  @JsonProperty private int hiddenSize;

  /** For JSON deserialization only. */
  private InvertibleAdapter() {}

  InvertibleAdapter(InvertibleConfig config, ModelArchitecture architecture) {
    this.bottleneck = config.bottleneck().create(architecture);
    this.invReductionFactor = config.invAdapterReductionFactor();
    this.nonLinearity = config.nonLinearity();
    this.hiddenSize = architecture.hiddenSize();
    if (Math.min(firstHalf(), secondHalf()) / invReductionFactor < 1) {
      throw new IllegalArgumentException(
          "inv_adapter_reduction_factor " + invReductionFactor + " leaves no subnetwork width for hidden size "
              + hiddenSize);
    }
  }

  @Override
  public InvertibleConfig config() {
    var b = bottleneck.config();
    return new InvertibleConfig(b.reductionFactor(), b.nonLinearity(), b.leaveOut(), invReductionFactor);
  }

  /** As the library splits: hidden // 2 features first, the rest second. */
  private int firstHalf() {
    return hiddenSize / 2;
  }

  private int secondHalf() {
    return hiddenSize - hiddenSize / 2;
  }

  @Override
  public void defineParameters(SDLayerParams parameters, ModelArchitecture architecture) {
    bottleneck.defineParameters(parameters, architecture);
    // F maps x2 (second half) onto the first half, G the first half onto the second
    defineSubnetwork(parameters, "f", secondHalf(), firstHalf());
    defineSubnetwork(parameters, "g", firstHalf(), secondHalf());
  }

  private void defineSubnetwork(SDLayerParams parameters, String subnetwork, int in, int out) {
    int width = in / invReductionFactor;
    parameters.addWeightParam(name(subnetwork, "in.weight"), in, width);
    parameters.addBiasParam(name(subnetwork, "in.bias"), 1, width);
    parameters.addWeightParam(name(subnetwork, "out.weight"), width, out);
    parameters.addBiasParam(name(subnetwork, "out.bias"), 1, out);
  }

  @Override
  public void initializeParameters(Map<String, INDArray> parameters) {
    Initialization.bert(parameters);
  }

  @Override
  public SDVariable embeddingOutput(HookContext context, SDVariable embeddings) {
    SDVariable x1 = embeddings.get(SDIndex.all(), SDIndex.interval(0, firstHalf()));
    SDVariable x2 = embeddings.get(SDIndex.all(), SDIndex.interval(firstHalf(), hiddenSize));
    SDVariable y1 = x1.add(subnetwork(context, "f", x2));
    SDVariable y2 = x2.add(subnetwork(context, "g", y1));
    return context.sameDiff().concat(1, y1, y2);
  }

  @Override
  public SDVariable beforeOutputEmbeddings(HookContext context, SDVariable transformed) {
    SDVariable y1 = transformed.get(SDIndex.all(), SDIndex.interval(0, firstHalf()));
    SDVariable y2 = transformed.get(SDIndex.all(), SDIndex.interval(firstHalf(), hiddenSize));
    SDVariable x2 = y2.sub(subnetwork(context, "g", y1));
    SDVariable x1 = y1.sub(subnetwork(context, "f", x2));
    return context.sameDiff().concat(1, x1, x2);
  }

  private SDVariable subnetwork(HookContext context, String subnetwork, SDVariable input) {
    SDVariable inner =
        input
            .mmul(context.parameter(name(subnetwork, "in.weight")))
            .add(context.parameter(name(subnetwork, "in.bias")));
    return Encoder.activation(context.sameDiff(), activation(), inner)
        .mmul(context.parameter(name(subnetwork, "out.weight")))
        .add(context.parameter(name(subnetwork, "out.bias")));
  }

  @Override
  public SDVariable feedForwardOutput(
      HookContext context,
      int layer,
      SDVariable output,
      SDVariable residual,
      UnaryOperator<SDVariable> layerNorm) {
    return bottleneck.feedForwardOutput(context, layer, output, residual, layerNorm);
  }

  @Override
  public Var embeddingOutput(EagerHooks hooks, Var embeddings) {
    Tape tape = hooks.tape();
    Var x1 = tape.columns(embeddings, 0, firstHalf());
    Var x2 = tape.columns(embeddings, firstHalf(), hiddenSize);
    Var y1 = tape.add(x1, subnetwork(hooks, "f", x2));
    Var y2 = tape.add(x2, subnetwork(hooks, "g", y1));
    return tape.concatColumns(y1, y2);
  }

  @Override
  public Var beforeOutputEmbeddings(EagerHooks hooks, Var transformed) {
    Tape tape = hooks.tape();
    Var y1 = tape.columns(transformed, 0, firstHalf());
    Var y2 = tape.columns(transformed, firstHalf(), hiddenSize);
    Var x2 = tape.sub(y2, subnetwork(hooks, "g", y1));
    Var x1 = tape.sub(y1, subnetwork(hooks, "f", x2));
    return tape.concatColumns(x1, x2);
  }

  private Var subnetwork(EagerHooks hooks, String subnetwork, Var input) {
    Tape tape = hooks.tape();
    Var inner =
        tape.dense(input, hooks.parameter(name(subnetwork, "in.weight")), hooks.parameter(name(subnetwork, "in.bias")));
    return tape.dense(
        tape.activation(activation(), inner),
        hooks.parameter(name(subnetwork, "out.weight")),
        hooks.parameter(name(subnetwork, "out.bias")));
  }

  @Override
  public Var feedForwardOutput(
      EagerHooks hooks, int layer, Var output, Var residual, BinaryOperator<Var> residualNorm) {
    return bottleneck.feedForwardOutput(hooks, layer, output, residual, residualNorm);
  }

  @Override
  public PythonTensor pythonTensor(String parameter, PythonNames names) {
    if (!parameter.startsWith(PREFIX)) {
      return bottleneck.pythonTensor(parameter, names);
    }
    // nice.<f|g>.<in|out>.<weight|bias>: the library's nn.Sequential indices 0 and 2
    String[] parts = parameter.substring(PREFIX.length()).split("\\.");
    String key =
        String.format(
            "%s.invertible_adapters.%s.%s.%s.%s",
            names.modelPrefix(),
            names.adapterName(),
            parts[0].toUpperCase(),
            parts[1].equals("in") ? "0" : "2",
            parts[2]);
    return parts[2].equals("weight") ? PythonTensor.linearWeight(key) : PythonTensor.bias(key);
  }

  private HiddenActivation activation() {
    return HiddenActivation.fromConfigName(nonLinearity).orElseThrow();
  }

  private static String name(String subnetwork, String tensor) {
    return PREFIX + subnetwork + "." + tensor;
  }
}
