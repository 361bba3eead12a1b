package dev.adapterforge.ops.encoder;

import dev.adapterforge.ops.model.BaseModel;
import dev.adapterforge.ops.tokenizer.SpecialTokens;
import dev.adapterforge.ops.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Masked-token prediction, as Hugging Face's fill-mask pipeline does it: the text tokenized with
 * the model's own tokenizer, the encoder run (with an adapter inside, if given), and for every mask
 * token the most probable vocabulary tokens under the MLM head's softmax. Texts of a batch are padded
 * to the longest; the head runs on the masked positions only.
 */
public final class FillMask {

  /** One candidate for a masked position. */
  public record Prediction(int tokenId, String token, double probability) {}

  private final Tokenizer tokenizer;
  private final MaskedLmGraph model;

  /**
   * @throws IllegalArgumentException if the tokenizer has ids beyond the model's embeddings
   */
  public FillMask(Tokenizer tokenizer, MaskedLmGraph model) {
    int embeddings = model.weights().architecture().vocabSize();
    if (tokenizer.vocabularySize() > embeddings) {
      throw new IllegalArgumentException(
          String.format(
              "the tokenizer has %d ids, the model's embeddings only %d: not this model's"
                  + " tokenizer",
              tokenizer.vocabularySize(), embeddings));
    }
    this.tokenizer = tokenizer;
    this.model = model;
  }

  /**
   * The base model's own tokenizer (its folder's, cased) and its float weights from the cache,
   * with {@code adapter} and its trained parameters inside, or none when null.
   */
  public static FillMask of(
      BaseModel model, EncoderAdapter adapter, Map<String, INDArray> adapterParameters) {
    return new FillMask(
        model.tokenizer(),
        new MaskedLmGraph(FrozenWeightsCache.get(model, DataType.FLOAT), adapter, adapterParameters));
  }

  /** The base model alone. */
  public static FillMask of(BaseModel model) {
    return of(model, null, Map.of());
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
  public List<List<List<Prediction>>> predict(List<String> texts, int topK) {
    if (topK < 1) {
      throw new IllegalArgumentException("topK must be positive, got " + topK);
    }
    List<int[]> encoded = tokenizer.encodeBatch(texts);
    SpecialTokens special = tokenizer.specialTokens();
    PaddedBatch batch = PaddedBatch.of(encoded, special.pad(), model.weights().maxSequenceLength());
    List<Integer> maskedRows = new ArrayList<>();
    for (int text = 0; text < encoded.size(); text++) {
      int[] textIds = encoded.get(text);
      for (int position = 0; position < textIds.length; position++) {
        if (textIds[position] == special.mask()) {
          maskedRows.add(batch.row(text, position));
        }
      }
    }

    List<List<List<Prediction>>> predictions = new ArrayList<>();
    INDArray logProbabilities =
        maskedRows.isEmpty()
            ? null
            : model.logProbabilities(batch, maskedRows.stream().mapToInt(Integer::intValue).toArray());
    int row = 0;
    for (int[] textIds : encoded) {
      List<List<Prediction>> perMask = new ArrayList<>();
      for (int id : textIds) {
        if (id == special.mask()) {
          perMask.add(mostProbable(Transforms.exp(logProbabilities.getRow(row++), true).toFloatVector(), topK));
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
