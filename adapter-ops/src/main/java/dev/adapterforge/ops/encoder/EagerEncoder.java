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

import dev.adapterforge.ops.encoder.Tape.Var;
import dev.adapterforge.ops.model.ModelArchitecture;
import java.util.Arrays;
import java.util.Map;
import java.util.function.BinaryOperator;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The encoder and its MLM head computed eagerly on a {@link Tape}: the function {@link Encoder}
 * defines, over {@link PackedSequences} (each sequence attends over its own tokens, so padding
 * costs nothing), with the frozen weights as constants (so backward computes activation gradients
 * only, and only above the lowest adapter). What {@link EncoderLayer} trains with when its adapter
 * is an {@link EagerAdapter}; EagerEncoderTest holds it to {@link Encoder}.
 */
final class EagerEncoder {
  private static final EagerAdapter NO_ADAPTER = new EagerAdapter() {};

  private final Tape tape;
  private final FrozenWeights weights;
  private final ModelArchitecture architecture;
  private final EagerAdapter adapter;
  private final EagerHooks hooks;

  /**
   * @param adapter the adapter attached, or null for the frozen encoder alone
   * @param parameters the adapter's parameters on {@code tape}, by declared name
   */
  EagerEncoder(Tape tape, FrozenWeights weights, EagerAdapter adapter, Map<String, Var> parameters) {
    this.tape = tape;
    this.weights = weights;
    this.architecture = weights.architecture();
    this.adapter = adapter == null ? NO_ADAPTER : adapter;
    this.hooks = new EagerHooks(tape, parameters);
  }

  /**
   * The last layer's hidden states, [rows, hidden]: of every packed token, or with {@code
   * predictedOnly} of the batch's {@link PackedSequences#predicted} tokens alone, in their order.
   * The last layer's other rows feed nothing a loss on those reads, so it computes their keys and
   * values only.
   */
  Var hiddenStates(PackedSequences batch, boolean predictedOnly) {
    int mark = tape.mark();
    Var hidden = adapter.embeddingOutput(hooks, embeddings(batch));
    tape.releaseSince(mark, hidden);
    int last = architecture.numHiddenLayers() - 1;
    for (int layer = 0; layer <= last; layer++) {
      // a layer's intermediates are needed by its own ops alone: what backward reads stays
      mark = tape.mark();
      Var output = transformerLayer(layer, hidden, batch, predictedOnly && layer == last);
      tape.releaseSince(mark, output);
      tape.release(hidden);
      hidden = output;
    }
    return hidden;
  }

  /** As {@link Encoder#mlmTransform}. */
  Var mlmTransform(Var hiddenStates) {
    if (!weights.hasMlmHead()) {
      throw new IllegalStateException(
          "the checkpoint has no MLM head (a bare encoder): it computes hidden states only");
    }
    Var dense =
        tape.dense(hiddenStates, frozen(MLM_TRANSFORM_WEIGHT, 0), frozen(MLM_TRANSFORM_BIAS, 0));
    Var transformed =
        layerNorm(tape.activation(architecture.hiddenAct(), dense), MLM_NORM_GAIN, MLM_NORM_BIAS, 0);
    return adapter.beforeOutputEmbeddings(hooks, transformed);
  }

  /** As {@link Encoder#mlmLogits}, from {@link #mlmTransform}'s result: [rows, vocabulary]. */
  Var mlmLogits(Var transformed) {
    return tape.denseTransposed(transformed, frozen(WORD_EMBEDDINGS, 0), frozen(MLM_OUTPUT_BIAS, 0));
  }

  private Var embeddings(PackedSequences batch) {
    long offset = weights.family().positionOffset();
    int[] positions = Arrays.stream(batch.positions()).map(p -> (int) (p + offset)).toArray();
    INDArray summed =
        Nd4j.pullRows(weights.get(WORD_EMBEDDINGS, 0), 1, batch.ids())
            .addi(Nd4j.pullRows(weights.get(POSITION_EMBEDDINGS, 0), 1, positions))
            .addiRowVector(weights.get(TOKEN_TYPE_EMBEDDINGS, 0).getRow(0));
    return layerNorm(tape.input(summed), EMBEDDING_NORM_GAIN, EMBEDDING_NORM_BIAS, 0);
  }

  /** The layer's output at every row of {@code input}, or with {@code predictedOnly} at the predicted rows. */
  private Var transformerLayer(int layer, Var input, PackedSequences batch, boolean predictedOnly) {
    Var queried = predictedOnly ? tape.rows(input, batch.predicted()) : input;
    PackedSequences.Ranges queries =
        predictedOnly ? batch.predictedRanges() : new PackedSequences.Ranges(batch.offsets(), batch.lengths());
    Var query = projection(layer, Projection.QUERY, queried);
    Var key = projection(layer, Projection.KEY, input);
    Var value = projection(layer, Projection.VALUE, input);
    Var context =
        tape.attention(
            query, key, value, queries.offsets(), queries.lengths(), batch.offsets(), batch.lengths(),
            architecture.numAttentionHeads());
    Var attention =
        residualNorm(
            projection(layer, Projection.ATTENTION_OUTPUT, context), queried, ATTENTION_NORM_GAIN,
            ATTENTION_NORM_BIAS, layer);
    Var intermediate =
        tape.activation(architecture.hiddenAct(), projection(layer, Projection.INTERMEDIATE, attention));
    Var output = projection(layer, Projection.OUTPUT, intermediate);
    BinaryOperator<Var> outputNorm =
        (x, residual) -> residualNorm(x, residual, OUTPUT_NORM_GAIN, OUTPUT_NORM_BIAS, layer);
    Var adapted = adapter.feedForwardOutput(hooks, layer, output, attention, outputNorm);
    return outputNorm.apply(adapted, attention);
  }

  private Var projection(int layer, Projection projection, Var input) {
    Var output =
        tape.dense(input, frozen(projection.weight(), layer), frozen(projection.bias(), layer));
    return adapter.projection(hooks, layer, projection, input, output);
  }

  private Var layerNorm(Var x, EncoderTensor gain, EncoderTensor bias, int layer) {
    return tape.layerNorm(
        x, weights.get(gain, layer), weights.get(bias, layer), architecture.layerNormEps());
  }

  /** LayerNorm(x + residual), the sum never stored where the fused kernels run. */
  private Var residualNorm(Var x, Var residual, EncoderTensor gain, EncoderTensor bias, int layer) {
    return tape.residualLayerNorm(
        x, residual, weights.get(gain, layer), weights.get(bias, layer), architecture.layerNormEps());
  }

  private Var frozen(EncoderTensor tensor, int layer) {
    return tape.constant(weights.get(tensor, layer));
  }
}
