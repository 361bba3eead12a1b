package dev.adapterforge.ops.encoder;

import dev.adapterforge.ops.model.BaseModel;
import dev.adapterforge.ops.model.ModelArchitecture;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.shade.jackson.annotation.JsonIgnore;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * The MLM loss with the output projection inside it, for an {@code RnnLossLayer} (activation
 * identity) over {@link EncoderLayer.Output#MLM_TRANSFORMED}: only the rows its label mask selects
 * are projected onto the (tied, frozen) word embeddings, so a batch costs a vocabulary projection
 * per masked token, not per token, and no one-hot or full-vocabulary array per token exists
 * ({@link VocabularySoftmax}: at every position, the fused kernels compute the logits a block of
 * the vocabulary at a time).
 * Labels are the target ids, [batch, 1, length] in the network's data type (ids below 2^24 are
 * exact in float). Per row the loss is the cross-entropy of the target under the softmax; DL4J sums
 * a sequence's and averages over sequences, as with MCXENT.
 *
 * <p>The embeddings come from {@link FrozenWeightsCache}, by the identity this configuration
 * carries, like {@link EncoderLayer}'s weights.
 *
 * <p>DL4J asks for the gradient, then for the score of the same batch: the score the gradient's
 * pass computed answers the next score call, once, if it has the same masked rows and targets, so
 * the vocabulary projection runs once per step.
 */
public final class MaskedLmLoss implements ILossFunction {
  private static final long serialVersionUID = 1L;

  @JsonProperty private String baseModel;
  @JsonProperty private String checkpointSha256;
  @JsonProperty private ModelArchitecture architecture;

  /** The last gradient pass's masked rows, targets and score, until a score call takes it. */
  @JsonIgnore private transient Scored lastScored;

  private record Scored(int[] rows, int[] targets, double score) {
    boolean isOf(int[] otherRows, int[] otherTargets) {
      return Arrays.equals(rows, otherRows) && Arrays.equals(targets, otherTargets);
    }
  }

  /** Whether every row is projected (Hugging Face's cost), not only the masked ones. */
  @JsonProperty private boolean everyPosition;

  /** For JSON deserialization only. */
  private MaskedLmLoss() {}

  public MaskedLmLoss(BaseModel model) {
    this(model, false);
  }

  private MaskedLmLoss(BaseModel model, boolean everyPosition) {
    this.baseModel = model.id();
    this.checkpointSha256 = model.checkpointSha256();
    this.architecture = model.architecture();
    this.everyPosition = everyPosition;
  }

  /**
   * The same loss computed as Hugging Face's BertForMaskedLM does: logits at every position,
   * padding included, and the backward projection over every row (zero where no label is), for
   * comparisons. Like the masked form, it builds no one-hot array.
   */
  public static MaskedLmLoss atEveryPosition(BaseModel model) {
    return new MaskedLmLoss(model, true);
  }

  /** The rows the mask selects, or every row without one. */
  private static int[] maskedRows(INDArray states, INDArray mask) {
    if (mask == null) {
      return IntStream.range(0, (int) states.size(0)).toArray();
    }
    float[] selected = mask.reshape(mask.length()).toFloatVector();
    List<Integer> rows = new ArrayList<>();
    for (int row = 0; row < selected.length; row++) {
      if (selected[row] != 0) {
        rows.add(row);
      }
    }
    return rows.stream().mapToInt(Integer::intValue).toArray();
  }

  /** The rows projected onto the vocabulary: the masked ones, or all. */
  private INDArray projected(INDArray states, int[] maskedRows) {
    return everyPosition ? states : states.getRows(maskedRows);
  }

  /** Per projected row, its target, or −1 where it has none. */
  private int[] projectedTargets(int[] maskedRows, int[] targets, INDArray states) {
    if (!everyPosition) {
      return targets;
    }
    int[] projected = new int[(int) states.size(0)];
    Arrays.fill(projected, -1);
    for (int i = 0; i < maskedRows.length; i++) {
      projected[maskedRows[i]] = targets[i];
    }
    return projected;
  }

  /** The cross-entropy at each projected row and, if asked, its gradient. */
  private VocabularySoftmax.CrossEntropy crossEntropy(
      INDArray states, int[] maskedRows, int[] targets, boolean withGradient) {
    FrozenWeights weights = weights(states);
    return VocabularySoftmax.of(
        projected(states, maskedRows), weights.get(EncoderTensor.WORD_EMBEDDINGS, 0),
        weights.get(EncoderTensor.MLM_OUTPUT_BIAS, 0), projectedTargets(maskedRows, targets, states),
        withGradient);
  }

  /** The loss at the i-th masked row, from {@link #crossEntropy}'s losses. */
  private double maskedLoss(double[] losses, int[] maskedRows, int i) {
    return losses[everyPosition ? maskedRows[i] : i];
  }

  private FrozenWeights weights(INDArray states) {
    return FrozenWeightsCache.get(baseModel, checkpointSha256, architecture, states.dataType());
  }

  private static int[] targets(INDArray labels, int[] rows) {
    int[] targets = new int[rows.length];
    for (int i = 0; i < rows.length; i++) {
      targets[i] = (int) labels.getDouble(rows[i], 0);
    }
    return targets;
  }

  @Override
  public INDArray computeScoreArray(INDArray labels, INDArray states, IActivation activation, INDArray mask) {
    int[] rows = maskedRows(states, mask);
    return scoreArray(states, rows, targets(labels, rows));
  }

  /** Per row, the cross-entropy of its target at the masked rows, zero elsewhere: [rows, 1]. */
  private INDArray scoreArray(INDArray states, int[] rows, int[] targets) {
    INDArray scores = Nd4j.zeros(states.dataType(), states.size(0), 1);
    if (rows.length == 0) {
      return scores;
    }
    double[] losses = crossEntropy(states, rows, targets, false).losses();
    for (int i = 0; i < rows.length; i++) {
      scores.putScalar(rows[i], 0, maskedLoss(losses, rows, i));
    }
    return scores;
  }

  @Override
  public double computeScore(INDArray labels, INDArray states, IActivation activation, INDArray mask, boolean average) {
    Scored scored = lastScored;
    lastScored = null;
    int[] rows = maskedRows(states, mask);
    int[] targets = targets(labels, rows);
    double sum =
        scored != null && scored.isOf(rows, targets)
            ? scored.score()
            : scoreArray(states, rows, targets).sumNumber().doubleValue();
    return average ? sum / states.size(0) : sum;
  }

  /** d(loss)/d(states): (softmax − one-hot(target)) · E at the selected rows, zero elsewhere. */
  @Override
  public INDArray computeGradient(INDArray labels, INDArray states, IActivation activation, INDArray mask) {
    return computeGradientAndScore(labels, states, activation, mask, false).getSecond();
  }

  @Override
  public Pair<Double, INDArray> computeGradientAndScore(
      INDArray labels, INDArray states, IActivation activation, INDArray mask, boolean average) {
    int[] rows = maskedRows(states, mask);
    if (rows.length == 0) {
      return Pair.of(0.0, Nd4j.zeros(states.dataType(), states.shape()));
    }
    int[] targets = targets(labels, rows);
    VocabularySoftmax.CrossEntropy crossEntropy = crossEntropy(states, rows, targets, true);
    double score = 0;
    for (int i = 0; i < rows.length; i++) {
      score += maskedLoss(crossEntropy.losses(), rows, i);
    }
    INDArray gradient = everyPosition ? crossEntropy.gradient() : scattered(crossEntropy.gradient(), rows, states);
    lastScored = new Scored(rows, targets, score);
    return Pair.of(average ? score / states.size(0) : score, gradient);
  }

  /** The masked rows' gradients at their rows of a zero array shaped like {@code states}. */
  private static INDArray scattered(INDArray rowGradients, int[] rows, INDArray states) {
    INDArray gradient = Nd4j.zeros(states.dataType(), states.shape());
    for (int i = 0; i < rows.length; i++) {
      gradient.putRow(rows[i], rowGradients.getRow(i));
    }
    return gradient;
  }

  @Override
  public String name() {
    return "MaskedLmLoss";
  }

  @Override
  public String toString() {
    return name() + "(" + baseModel + (everyPosition ? ", every position" : "") + ")";
  }
}
