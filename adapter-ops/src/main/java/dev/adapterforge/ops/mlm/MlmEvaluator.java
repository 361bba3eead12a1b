package dev.adapterforge.ops.mlm;

import dev.adapterforge.ops.encoder.MaskedLmGraph;
import dev.adapterforge.ops.encoder.PaddedBatch;
import dev.adapterforge.ops.tokenizer.SpecialTokens;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * How well the encoder (and its adapter) models held-out text:
 *
 * <ul>
 *   <li>MLM loss: the mean negative log-likelihood of the tokens BERT's masking rule chooses, each
 *       sequence masked from its own seed ({@code seed + index}), so the figure is the same for any
 *       batch size, order or machine;
 *   <li>pseudo-perplexity (Salazar et al. 2020, as the reference paper evaluates): every token that
 *       is not special masked in turn, one copy of the sequence per token, {@code exp} of the mean
 *       negative log-likelihood of the original tokens.
 * </ul>
 *
 * Sequences are batched by length so that padding stays low; the MLM head runs at the masked
 * positions only.
 */
public final class MlmEvaluator {

  /**
   * @param sequences sequences evaluated
   * @param tokens tokens scored (masked tokens for the MLM loss, every real token for
   *     pseudo-perplexity)
   * @param negativeLogLikelihood their summed negative log-likelihood, nats
   */
  public record Score(long sequences, long tokens, double negativeLogLikelihood) {
    public double meanLoss() {
      return negativeLogLikelihood / tokens;
    }

    public double perplexity() {
      return Math.exp(meanLoss());
    }
  }

  private final MaskedLmGraph model;
  private final SpecialTokens special;
  private final int batchTokens;

  /**
   * @param batchTokens the token slots (sequences × padded length) of one forward batch
   */
  public MlmEvaluator(MaskedLmGraph model, SpecialTokens special, int batchTokens) {
    if (batchTokens < 1) {
      throw new IllegalArgumentException("batch tokens must be positive, got " + batchTokens);
    }
    this.model = model;
    this.special = special;
    this.batchTokens = batchTokens;
  }

  /** The MLM loss over {@code sequences} under {@code masking}, sequence i masked from seed + i. */
  public Score mlmLoss(List<int[]> sequences, MlmMasking masking, long seed) {
    List<MaskedSequence> masked = new ArrayList<>(sequences.size());
    for (int i = 0; i < sequences.size(); i++) {
      masked.add(masking.mask(sequences.get(i), seed + i));
    }
    return score(masked, sequences.size());
  }

  /** The pseudo-log-likelihood of {@code sequences}; {@link Score#perplexity()} is the PPPL. */
  public Score pseudoPerplexity(List<int[]> sequences) {
    List<MaskedSequence> copies = new ArrayList<>();
    for (int[] ids : sequences) {
      for (int position = 0; position < ids.length; position++) {
        if (!special.isSpecial(ids[position])) {
          int[] input = ids.clone();
          input[position] = special.mask();
          copies.add(new MaskedSequence(input, new int[] {position}, new int[] {ids[position]}));
        }
      }
    }
    return score(copies, sequences.size());
  }

  /** Sums target negative log-likelihoods over length-sorted batches of at most batchTokens slots. */
  private Score score(List<MaskedSequence> sequences, long sequenceCount) {
    List<MaskedSequence> byLength = new ArrayList<>(sequences);
    byLength.sort(Comparator.comparingInt(s -> s.inputIds().length));
    long tokens = 0;
    double nll = 0;
    int start = 0;
    while (start < byLength.size()) {
      int end = start + 1;
      // sorted ascending: the last sequence taken sets the padded length
      while (end < byLength.size() && (long) (end - start + 1) * byLength.get(end).inputIds().length <= batchTokens) {
        end++;
      }
      List<MaskedSequence> batch = byLength.subList(start, end);
      PaddedBatch padded =
          PaddedBatch.of(batch.stream().map(MaskedSequence::inputIds).toList(), special.pad(), model.weights().maxSequenceLength());
      int count = batch.stream().mapToInt(MaskedSequence::maskedCount).sum();
      int[] rows = new int[count];
      int[] targets = new int[count];
      int next = 0;
      for (int s = 0; s < batch.size(); s++) {
        MaskedSequence sequence = batch.get(s);
        for (int i = 0; i < sequence.maskedCount(); i++) {
          rows[next] = padded.row(s, sequence.positions()[i]);
          targets[next++] = sequence.targets()[i];
        }
      }
      double[] logProbabilities = model.targetLogProbabilities(padded, rows, targets);
      nll -= IntStream.range(0, count).mapToDouble(i -> logProbabilities[i]).sum();
      tokens += count;
      start = end;
    }
    return new Score(sequenceCount, tokens, nll);
  }
}
