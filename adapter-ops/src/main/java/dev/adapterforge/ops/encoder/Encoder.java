package dev.adapterforge.ops.encoder;

import static dev.adapterforge.ops.encoder.EncoderTensor.ATTENTION_NORM_BIAS;
import static dev.adapterforge.ops.encoder.EncoderTensor.ATTENTION_NORM_GAIN;
import static dev.adapterforge.ops.encoder.EncoderTensor.EMBEDDING_NORM_BIAS;
import static dev.adapterforge.ops.encoder.EncoderTensor.EMBEDDING_NORM_GAIN;
import static dev.adapterforge.ops.encoder.EncoderTensor.MLM_NORM_BIAS;
import static dev.adapterforge.ops.encoder.EncoderTensor.MLM_NORM_GAIN;
import static dev.adapterforge.ops.encoder.EncoderTensor.MLM_OUTPUT_BIAS;
import static dev.adapterforge.ops.encoder.EncoderTensor.MLM_TRANSFORM_BIAS;
import static dev.adapterforge.ops.encoder.EncoderTensor.MLM_TRANSFORM_WEIGHT;
import static dev.adapterforge.ops.encoder.EncoderTensor.OUTPUT_NORM_BIAS;
import static dev.adapterforge.ops.encoder.EncoderTensor.OUTPUT_NORM_GAIN;
import static dev.adapterforge.ops.encoder.EncoderTensor.POSITION_EMBEDDINGS;
import static dev.adapterforge.ops.encoder.EncoderTensor.TOKEN_TYPE_EMBEDDINGS;
import static dev.adapterforge.ops.encoder.EncoderTensor.WORD_EMBEDDINGS;

import dev.adapterforge.ops.model.HiddenActivation;
import dev.adapterforge.ops.model.ModelArchitecture;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The BERT-family encoder and its MLM head, defined into a SameDiff graph: embeddings (word +
 * position + token type 0, LayerNorm), post-LayerNorm transformer layers with padding-masked
 * multi-head self-attention, and the head whose output projection is the word embeddings. Frozen
 * tensors enter as constants wrapping the cached arrays, never as variables; an {@link
 * EncoderAdapter} attaches at the hook points. Dropout is not applied: the graph computes what
 * Hugging Face computes in eval mode.
 *
 * <p>Defining is cheap (no array is copied; mBERT's 625 ops take well under a second), so a graph
 * may be defined whenever DL4J asks for one. An instance adds to the one graph it was made for.
 */
public final class Encoder {

  /**
   * Added to the attention scores of padding keys. Finite, unlike -inf: a sequence of padding only
   * still gets a finite softmax, and finite differences in gradient checks stay finite; exp(-1e4)
   * is 0 in float and double.
   */
  private static final double MASKED_SCORE = -1e4;

  private static final double SQRT_2 = Math.sqrt(2);
  private static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

  private static final EncoderAdapter NO_ADAPTER =
      new EncoderAdapter() {
        @Override
        public void defineParameters(SDLayerParams parameters, ModelArchitecture architecture) {}

        @Override
        public void initializeParameters(Map<String, INDArray> parameters) {}
      };

  private final SameDiff sd;
  private final FrozenWeights weights;
  private final ModelArchitecture architecture;
  private final EncoderAdapter adapter;
  private final HookContext hooks;

  /**
   * @param adapter the adapter attached, or null for the frozen encoder alone
   * @param adapterParameters the adapter's parameters in {@code sameDiff}, by declared name
   */
  public Encoder(
      SameDiff sameDiff,
      FrozenWeights weights,
      EncoderAdapter adapter,
      Map<String, SDVariable> adapterParameters) {
    this.sd = sameDiff;
    this.weights = weights;
    this.architecture = weights.architecture();
    this.adapter = adapter == null ? NO_ADAPTER : adapter;
    this.hooks = new HookContext(sameDiff, adapterParameters);
  }

  /**
   * The last layer's hidden states, [batch × length, hidden], row-major by sequence.
   *
   * @param ids [batch, length] token ids, INT32, special tokens included, padding on the right
   * @param attentionMask [batch, length], 1 for a real token and 0 for padding, in the weights'
   *     data type
   */
  public SDVariable hiddenStates(SDVariable ids, SDVariable attentionMask) {
    SDVariable headShape =
        sd.concat(
            0,
            sd.shape(ids),
            sd.constant(
                Nd4j.createFromArray(
                    (long) architecture.numAttentionHeads(), (long) architecture.headSize())));
    // [batch, 1, 1, length]: one row of key scores, broadcast over heads and query positions
    SDVariable maskScores =
        sd.expandDims(sd.expandDims(attentionMask.rsub(1.0).mul(MASKED_SCORE), 1), 1);
    SDVariable hidden = adapter.embeddingOutput(hooks, embeddings(ids));
    for (int layer = 0; layer < architecture.numHiddenLayers(); layer++) {
      hidden = transformerLayer(layer, hidden, maskScores, headShape);
    }
    return hidden;
  }

  /**
   * The MLM head's logits over the vocabulary, [rows, vocabulary], for hidden states [rows,
   * hidden]: all of {@link #hiddenStates}, or only the rows of masked tokens, which is far cheaper.
   */
  public SDVariable mlmLogits(SDVariable hiddenStates) {
    return sd.mmul(mlmTransform(hiddenStates), frozen(WORD_EMBEDDINGS, 0), false, true, false)
        .add(frozen(MLM_OUTPUT_BIAS, 0));
  }

  /**
   * The MLM head up to its output projection, [rows, hidden]: dense, activation, LayerNorm, and the
   * adapter's hook before the (tied) output embeddings. {@link MaskedLmLoss} projects these onto
   * the vocabulary at the masked rows only.
   */
  public SDVariable mlmTransform(SDVariable hiddenStates) {
    if (!weights.hasMlmHead()) {
      throw new IllegalStateException(
          "the checkpoint has no MLM head (a bare encoder): it computes hidden states only");
    }
    SDVariable transformed =
        layerNorm(
            activation(dense(hiddenStates, MLM_TRANSFORM_WEIGHT, MLM_TRANSFORM_BIAS)),
            MLM_NORM_GAIN,
            MLM_NORM_BIAS,
            0);
    return adapter.beforeOutputEmbeddings(hooks, transformed);
  }

  private SDVariable embeddings(SDVariable ids) {
    SDVariable words = sd.gather(frozen(WORD_EMBEDDINGS, 0), ids, 0);
    long offset = weights.family().positionOffset();
    SDVariable positionIds =
        sd.range(
            sd.constant(offset),
            sd.sizeAt(ids, 1).castTo(DataType.INT64).add(offset),
            sd.constant(1L),
            DataType.INT64);
    // [length, hidden], the same for every sequence of the batch
    SDVariable positionsAndType =
        sd.gather(frozen(POSITION_EMBEDDINGS, 0), positionIds, 0)
            .add(sd.gather(frozen(TOKEN_TYPE_EMBEDDINGS, 0), new int[] {0}, 0));
    SDVariable summed = sd.reshape(words.add(positionsAndType), -1, architecture.hiddenSize());
    return layerNorm(summed, EMBEDDING_NORM_GAIN, EMBEDDING_NORM_BIAS, 0);
  }

  private SDVariable transformerLayer(
      int layer, SDVariable input, SDVariable maskScores, SDVariable headShape) {
    double scale = 1 / Math.sqrt(architecture.headSize());
    SDVariable query = heads(projection(layer, Projection.QUERY, input).mul(scale), headShape);
    SDVariable key = heads(projection(layer, Projection.KEY, input), headShape);
    SDVariable value = heads(projection(layer, Projection.VALUE, input), headShape);
    // [batch, heads, length, length]
    SDVariable scores = sd.mmul(query, key, false, true, false).add(maskScores);
    SDVariable context = sd.mmul(sd.nn.softmax(scores, 3), value);
    SDVariable merged = sd.reshape(sd.permute(context, 0, 2, 1, 3), -1, architecture.hiddenSize());
    SDVariable attention =
        layerNorm(
            projection(layer, Projection.ATTENTION_OUTPUT, merged).add(input),
            ATTENTION_NORM_GAIN,
            ATTENTION_NORM_BIAS,
            layer);
    SDVariable intermediate = activation(projection(layer, Projection.INTERMEDIATE, attention));
    SDVariable output = projection(layer, Projection.OUTPUT, intermediate);
    UnaryOperator<SDVariable> outputNorm =
        sum -> layerNorm(sum, OUTPUT_NORM_GAIN, OUTPUT_NORM_BIAS, layer);
    SDVariable adapted = adapter.feedForwardOutput(hooks, layer, output, attention, outputNorm);
    return outputNorm.apply(adapted.add(attention));
  }

  /** [tokens, hidden] to [batch, heads, length, head size]. */
  private SDVariable heads(SDVariable states, SDVariable headShape) {
    return sd.permute(sd.reshape(states, headShape), 0, 2, 1, 3);
  }

  private SDVariable projection(int layer, Projection projection, SDVariable input) {
    SDVariable output =
        input.mmul(frozen(projection.weight(), layer)).add(frozen(projection.bias(), layer));
    return adapter.projection(hooks, layer, projection, input, output);
  }

  private SDVariable dense(SDVariable input, EncoderTensor weight, EncoderTensor bias) {
    return input.mmul(frozen(weight, 0)).add(frozen(bias, 0));
  }

  /** Over the last axis with the biased variance, as torch.nn.LayerNorm, eps from config.json. */
  private SDVariable layerNorm(SDVariable x, EncoderTensor gain, EncoderTensor bias, int layer) {
    SDVariable centred = x.sub(x.mean(true, 1));
    SDVariable variance = sd.math.square(centred).mean(true, 1);
    return centred
        .mul(sd.math.rsqrt(variance.add(architecture.layerNormEps())))
        .mul(frozen(gain, layer))
        .add(frozen(bias, layer));
  }

  private SDVariable activation(SDVariable x) {
    return activation(sd, architecture.hiddenAct(), x);
  }

  /**
   * Composed from elementary ops: ND4J's own gelu op is the sigmoid approximation x·σ(1.702x),
   * which no BERT checkpoint was trained with.
   */
  public static SDVariable activation(SameDiff sd, HiddenActivation activation, SDVariable x) {
    return switch (activation) {
      case GELU_ERF -> x.mul(0.5).mul(sd.math.erf(x.div(SQRT_2)).add(1));
      case GELU_TANH ->
          x.mul(0.5)
              .mul(sd.math.tanh(x.add(sd.math.cube(x).mul(0.044715)).mul(SQRT_2_OVER_PI)).add(1));
      case RELU -> sd.nn.relu(x, 0);
      case TANH -> sd.math.tanh(x);
      case SWISH -> x.mul(sd.nn.sigmoid(x));
    };
  }

  /** The cached array as a constant of this graph, wrapped once: no copy is made. */
  private SDVariable frozen(EncoderTensor tensor, int layer) {
    String name = tensor.key(layer);
    return sd.hasVariable(name)
        ? sd.getVariable(name)
        : sd.constant(name, weights.get(tensor, layer));
  }
}
