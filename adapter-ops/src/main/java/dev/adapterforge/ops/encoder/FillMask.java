package dev.adapterforge.ops.encoder;

import dev.adapterforge.ops.model.BaseModel;
import dev.adapterforge.ops.tokenizer.SpecialTokens;
import dev.adapterforge.ops.tokenizer.Tokenizer;
import dev.adapterforge.ops.tokenizer.TokenizerCache;
import dev.adapterforge.ops.tokenizer.TokenizerSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Masked-token prediction, as Hugging Face's fill-mask pipeline does it: the text tokenized with
 * the model's own tokenizer, the encoder run, and for every mask token the most probable vocabulary
 * tokens under the MLM head's softmax. Texts of a batch are padded to the longest; the head runs on
 * the masked positions only. One graph, defined once; calls are serialised.
 */
public final class FillMask {

  /** One candidate for a masked position. */
  public record Prediction(int tokenId, String token, double probability) {}

  private static final String IDS = "ids";
  private static final String ATTENTION_MASK = "attention_mask";
  private static final String MASKED_ROWS = "masked_rows";
  private static final String PROBABILITIES = "probabilities";

  private final Tokenizer tokenizer;
  private final FrozenWeights weights;
  private final SameDiff graph;

  /**
   * @throws IllegalArgumentException if the tokenizer has ids beyond the model's embeddings
   */
  public FillMask(Tokenizer tokenizer, FrozenWeights weights) {
    if (tokenizer.vocabularySize() > weights.architecture().vocabSize()) {
      throw new IllegalArgumentException(
          String.format(
              "the tokenizer has %d ids, the model's embeddings only %d: not this model's"
                  + " tokenizer",
              tokenizer.vocabularySize(), weights.architecture().vocabSize()));
    }
    this.tokenizer = tokenizer;
    this.weights = weights;
    this.graph = SameDiff.create();
    SDVariable ids = graph.placeHolder(IDS, DataType.INT32, -1, -1);
    SDVariable attentionMask = graph.placeHolder(ATTENTION_MASK, weights.dataType(), -1, -1);
    SDVariable maskedRows = graph.placeHolder(MASKED_ROWS, DataType.INT32, -1);
    Encoder encoder = new Encoder(graph, weights, null, Map.of());
    SDVariable masked = graph.gather(encoder.hiddenStates(ids, attentionMask), maskedRows, 0);
    graph.nn.softmax(PROBABILITIES, encoder.mlmLogits(masked), 1);
  }

  /** The base model's own tokenizer (its folder's, cased) and its float weights from the cache. */
  public static FillMask of(BaseModel model) {
    return new FillMask(
        TokenizerCache.get(TokenizerSpec.fromFolder(model.directory())),
        FrozenWeightsCache.get(model, DataType.FLOAT));
  }

  /**
   * For each mask token of the text, in order, its {@code topK} candidates, most probable first.
   */
  public List<List<Prediction>> predict(String text, int topK) {
    return predict(List.of(text), topK).get(0);
  }

  /**
   * {@link #predict(String, int)} of each text, run as one batch.
   *
   * @throws IllegalArgumentException if {@code topK} is not positive or a text is longer than the
   *     model's positions
   */
  public synchronized List<List<List<Prediction>>> predict(List<String> texts, int topK) {
    if (topK < 1) {
      throw new IllegalArgumentException("topK must be positive, got " + topK);
    }
    List<int[]> encoded = tokenizer.encodeBatch(texts);
    int length = encoded.stream().mapToInt(ids -> ids.length).max().orElse(0);
    if (length > weights.maxSequenceLength()) {
      throw new IllegalArgumentException(
          String.format(
              "a text is %d tokens long, the model reads at most %d",
              length, weights.maxSequenceLength()));
    }
    SpecialTokens special = tokenizer.specialTokens();
    int[][] ids = new int[encoded.size()][length];
    float[][] attentionMask = new float[encoded.size()][length];
    List<Integer> maskedRows = new ArrayList<>();
    for (int text = 0; text < ids.length; text++) {
      int[] textIds = encoded.get(text);
      Arrays.fill(ids[text], special.pad());
      System.arraycopy(textIds, 0, ids[text], 0, textIds.length);
      for (int position = 0; position < textIds.length; position++) {
        attentionMask[text][position] = 1;
        if (textIds[position] == special.mask()) {
          maskedRows.add(text * length + position);
        }
      }
    }

    List<List<List<Prediction>>> predictions = new ArrayList<>();
    INDArray probabilities =
        maskedRows.isEmpty()
            ? null
            : graph.outputSingle(
                Map.of(
                    IDS, Nd4j.createFromArray(ids),
                    ATTENTION_MASK, Nd4j.createFromArray(attentionMask).castTo(weights.dataType()),
                    MASKED_ROWS,
                        Nd4j.createFromArray(
                            maskedRows.stream().mapToInt(Integer::intValue).toArray())),
                PROBABILITIES);
    int row = 0;
    for (int[] textIds : encoded) {
      List<List<Prediction>> perMask = new ArrayList<>();
      for (int id : textIds) {
        if (id == special.mask()) {
          perMask.add(mostProbable(probabilities.getRow(row++).toFloatVector(), topK));
        }
      }
      predictions.add(perMask);
    }
    return predictions;
  }

  private List<Prediction> mostProbable(float[] probabilities, int topK) {
    Comparator<Integer> byProbability =
        Comparator.<Integer>comparingDouble(id -> probabilities[id])
            .thenComparing(Comparator.<Integer>reverseOrder());
    // the k best seen so far, least probable at the head
    PriorityQueue<Integer> best = new PriorityQueue<>(topK + 1, byProbability);
    // ids past the tokenizer's (a vocabulary padded for speed) have no token to show
    int candidates = Math.min(probabilities.length, tokenizer.vocabularySize());
    for (int id = 0; id < candidates; id++) {
      if (best.size() < topK || probabilities[id] > probabilities[best.peek()]) {
        best.add(id);
        if (best.size() > topK) {
          best.poll();
        }
      }
    }
    List<Integer> ranked = new ArrayList<>(best);
    ranked.sort(byProbability.reversed());
    int[] rankedIds = ranked.stream().mapToInt(Integer::intValue).toArray();
    List<String> tokens = tokenizer.tokens(rankedIds);
    List<Prediction> predictions = new ArrayList<>(rankedIds.length);
    for (int i = 0; i < rankedIds.length; i++) {
      predictions.add(new Prediction(rankedIds[i], tokens.get(i), probabilities[rankedIds[i]]));
    }
    return predictions;
  }
}
