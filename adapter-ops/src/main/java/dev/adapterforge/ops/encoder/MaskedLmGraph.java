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
  private static final String LOGITS = "logits";

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
    Map<String, SDVariable> constants = new LinkedHashMap<>();
    adapterParameters.forEach(
        (name, value) -> constants.put(name, graph.constant(name, value.castTo(weights.dataType()))));
    Encoder encoder = new Encoder(graph, weights, adapter, constants);
    SDVariable chosen = graph.gather(encoder.hiddenStates(ids, attentionMask), rows, 0);
    // the softmax is taken on the JVM: its normaliser over ~120k float terms needs double precision
    encoder.mlmLogits(chosen).rename(LOGITS);
  }

  public FrozenWeights weights() {
    return weights;
  }

  /** [rows, vocabulary]: the log-probability of every token at each chosen row of the batch. */
  public INDArray logProbabilities(PaddedBatch batch, int[] rows) {
    float[] logits = logits(batch, rows);
    int vocabulary = weights.architecture().vocabSize();
    float[] logProbabilities = new float[logits.length];
    for (int row = 0; row < rows.length; row++) {
      double normaliser = logNormaliser(logits, row * vocabulary, vocabulary);
      for (int v = row * vocabulary; v < (row + 1) * vocabulary; v++) {
        logProbabilities[v] = (float) (logits[v] - normaliser);
      }
    }
    return Nd4j.create(logProbabilities, new long[] {rows.length, vocabulary}, 'c');
  }

  /** The log-probability of each row's target token. */
  public double[] targetLogProbabilities(PaddedBatch batch, int[] rows, int[] targets) {
    float[] logits = logits(batch, rows);
    int vocabulary = weights.architecture().vocabSize();
    double[] logProbabilities = new double[rows.length];
    for (int row = 0; row < rows.length; row++) {
      logProbabilities[row] = logits[row * vocabulary + targets[row]] - logNormaliser(logits, row * vocabulary, vocabulary);
    }
    return logProbabilities;
  }

  /**
   * log Σ exp(logits[offset, offset + length)), in double: summed in float, 119,547 terms read the
   * top probabilities 1e-4 to 3e-4 too high.
   */
  static double logNormaliser(float[] logits, int offset, int length) {
    double max = Double.NEGATIVE_INFINITY;
    for (int i = offset; i < offset + length; i++) {
      max = Math.max(max, logits[i]);
    }
    double sum = 0;
    for (int i = offset; i < offset + length; i++) {
      sum += Math.exp(logits[i] - max);
    }
    return max + Math.log(sum);
  }

  /** [rows × vocabulary], row-major: the MLM head's logits at the chosen rows. */
  private synchronized float[] logits(PaddedBatch batch, int[] rows) {
    INDArray logits =
        graph.outputSingle(
            Map.of(
                IDS, batch.idsArray(),
                ATTENTION_MASK, batch.attentionMaskArray(weights.dataType()),
                ROWS, Nd4j.createFromArray(rows)),
            LOGITS);
    return logits.castTo(DataType.FLOAT).dup('c').data().asFloat();
  }
}
