package dev.adapterforge.ops.encoder;

import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The encoder with its MLM head as one inference graph, the head computed at chosen rows only (the
 * masked positions), so that a batch never costs a vocabulary projection per token: what
 * fill-mask and MLM evaluation run. An adapter's trained parameters enter as constants. Defined
 * once; calls are serialised.
 */
public final class MaskedLmGraph {
  private static final String IDS = "ids";
  private static final String ATTENTION_MASK = "attention_mask";
  private static final String ROWS = "rows";
  private static final String TARGETS = "targets";
  private static final String LOG_PROBABILITIES = "log_probabilities";
  private static final String TARGET_LOG_PROBABILITIES = "target_log_probabilities";

  private final FrozenWeights weights;
  private final SameDiff graph;

  /**
   * @param adapter the adapter to run inside the encoder, or null for the base model alone
   * @param adapterParameters its trained parameters by the names it declared
   */
  public MaskedLmGraph(
      FrozenWeights weights, EncoderAdapter adapter, Map<String, INDArray> adapterParameters) {
    this.weights = weights;
    this.graph = SameDiff.create();
    SDVariable ids = graph.placeHolder(IDS, DataType.INT32, -1, -1);
    SDVariable attentionMask = graph.placeHolder(ATTENTION_MASK, weights.dataType(), -1, -1);
    SDVariable rows = graph.placeHolder(ROWS, DataType.INT32, -1);
    SDVariable targets = graph.placeHolder(TARGETS, DataType.INT32, -1);
    Map<String, SDVariable> constants = new LinkedHashMap<>();
    adapterParameters.forEach(
        (name, value) -> constants.put(name, graph.constant(name, value.castTo(weights.dataType()))));
    Encoder encoder = new Encoder(graph, weights, adapter, constants);
    SDVariable chosen = graph.gather(encoder.hiddenStates(ids, attentionMask), rows, 0);
    SDVariable logProbabilities =
        graph.nn.logSoftmax(LOG_PROBABILITIES, encoder.mlmLogits(chosen), 1);
    int vocabulary = weights.architecture().vocabSize();
    logProbabilities
        .mul(graph.oneHot(targets, vocabulary).castTo(weights.dataType()))
        .sum(TARGET_LOG_PROBABILITIES, 1);
  }

  public FrozenWeights weights() {
    return weights;
  }

  /** [rows, vocabulary]: the log-probability of every token at each chosen row of the batch. */
  public synchronized INDArray logProbabilities(PaddedBatch batch, int[] rows) {
    return graph.outputSingle(
        Map.of(
            IDS, batch.idsArray(),
            ATTENTION_MASK, batch.attentionMaskArray(weights.dataType()),
            ROWS, Nd4j.createFromArray(rows)),
        LOG_PROBABILITIES);
  }

  /** [rows]: the log-probability of each row's target token. */
  public synchronized INDArray targetLogProbabilities(PaddedBatch batch, int[] rows, int[] targets) {
    return graph.outputSingle(
        Map.of(
            IDS, batch.idsArray(),
            ATTENTION_MASK, batch.attentionMaskArray(weights.dataType()),
            ROWS, Nd4j.createFromArray(rows),
            TARGETS, Nd4j.createFromArray(targets)),
        TARGET_LOG_PROBABILITIES);
  }
}
