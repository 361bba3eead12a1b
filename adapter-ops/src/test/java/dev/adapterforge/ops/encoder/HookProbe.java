package dev.adapterforge.ops.encoder;

import dev.adapterforge.ops.model.ModelArchitecture;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * A test adapter with trainable tensors at every hook point, so that one gradient check covers
 * every path by which gradients leave the encoder: a gain on the embeddings, low-rank updates of
 * query and value, a ReLU bottleneck after each feed-forward block, and a shift before the output
 * embeddings. Initialised near identity (normal, std 0.02), as adapters are.
 */
final class HookProbe implements EncoderAdapter {
  private static final long serialVersionUID = 1L;
  private static final double INIT_STD = 0.02;
  private static final List<Projection> LOW_RANK = List.of(Projection.QUERY, Projection.VALUE);

  @JsonProperty private int rank;
  @JsonProperty private int bottleneck;

  /** For JSON deserialization only. */
  private HookProbe() {}

  HookProbe(int rank, int bottleneck) {
    this.rank = rank;
    this.bottleneck = bottleneck;
  }

  /** What {@link #defineParameters} declares, counted independently of it. */
  long parameterCount(ModelArchitecture a) {
    long hidden = a.hiddenSize();
    long lowRank = LOW_RANK.size() * 2 * hidden * rank;
    long bottleneckBlock = hidden * bottleneck + bottleneck + bottleneck * hidden + hidden;
    return hidden + a.numHiddenLayers() * (lowRank + bottleneckBlock) + hidden;
  }

  @Override
  public void defineParameters(SDLayerParams parameters, ModelArchitecture architecture) {
    long hidden = architecture.hiddenSize();
    parameters.addWeightParam("probe.embeddingGain", 1, hidden);
    for (int layer = 0; layer < architecture.numHiddenLayers(); layer++) {
      for (Projection projection : LOW_RANK) {
        parameters.addWeightParam(lowRank(layer, projection, "A"), hidden, rank);
        parameters.addWeightParam(lowRank(layer, projection, "B"), rank, hidden);
      }
      parameters.addWeightParam(bottleneck(layer, "down"), hidden, bottleneck);
      parameters.addBiasParam(bottleneck(layer, "downBias"), 1, bottleneck);
      parameters.addWeightParam(bottleneck(layer, "up"), bottleneck, hidden);
      parameters.addBiasParam(bottleneck(layer, "upBias"), 1, hidden);
    }
    parameters.addBiasParam("probe.outputShift", 1, hidden);
  }

  @Override
  public void initializeParameters(Map<String, INDArray> parameters) {
    for (INDArray parameter : parameters.values()) {
      parameter.assign(Nd4j.randn(parameter.dataType(), parameter.shape()).muli(INIT_STD));
    }
  }

  @Override
  public SDVariable embeddingOutput(HookContext context, SDVariable embeddings) {
    return embeddings.mul(context.parameter("probe.embeddingGain").add(1));
  }

  @Override
  public SDVariable projection(
      HookContext context, int layer, Projection projection, SDVariable input, SDVariable output) {
    if (!LOW_RANK.contains(projection)) {
      return output;
    }
    return output.add(
        input
            .mmul(context.parameter(lowRank(layer, projection, "A")))
            .mmul(context.parameter(lowRank(layer, projection, "B"))));
  }

  @Override
  public SDVariable feedForwardOutput(
      HookContext context,
      int layer,
      SDVariable output,
      SDVariable residual,
      UnaryOperator<SDVariable> layerNorm) {
    SDVariable hidden = layerNorm.apply(output.add(residual));
    SDVariable down =
        hidden
            .mmul(context.parameter(bottleneck(layer, "down")))
            .add(context.parameter(bottleneck(layer, "downBias")));
    SDVariable up =
        context
            .sameDiff()
            .nn
            .relu(down, 0)
            .mmul(context.parameter(bottleneck(layer, "up")))
            .add(context.parameter(bottleneck(layer, "upBias")));
    return output.add(up);
  }

  @Override
  public SDVariable beforeOutputEmbeddings(HookContext context, SDVariable transformed) {
    return transformed.add(context.parameter("probe.outputShift"));
  }

  private static String lowRank(int layer, Projection projection, String factor) {
    return "probe.layer" + layer + "." + projection.name().toLowerCase() + factor;
  }

  private static String bottleneck(int layer, String tensor) {
    return "probe.layer" + layer + ".bottleneck." + tensor;
  }
}
