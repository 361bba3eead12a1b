package dev.adapterforge.ops.mlm;

import dev.adapterforge.ops.tokenizer.SpecialTokens;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * BERT's masking rule, as Hugging Face's DataCollatorForLanguageModeling applies it: each token that
 * is not special is chosen with {@code probability}; a chosen token becomes the mask token 80% of
 * the time, a random vocabulary token 10%, and stays itself 10%; the model must predict every chosen
 * token's original id. Special tokens are the sequence start and end, padding, the mask and the
 * unknown token (whose original id says nothing worth predicting). Unlike the collator, a sequence always gets at least one chosen token (a
 * short ConceptNet sentence would otherwise often contribute nothing), and random replacements are
 * never special tokens.
 *
 * <p>Training masks dynamically, with the batch's own random stream; evaluation masks each sequence
 * from a seed of its own ({@link #mask(int[], long)}), so a validation loss is comparable across
 * runs, batch sizes and partitionings.
 */
public final class MlmMasking {
  private final double probability;
  private final SpecialTokens special;
  private final int vocabularySize;

  /**
   * @param probability the share of tokens chosen, in (0, 1); 0.15 in BERT
   * @param vocabularySize the number of ids random replacements are drawn from
   */
  public MlmMasking(double probability, SpecialTokens special, int vocabularySize) {
    if (!(probability > 0 && probability < 1)) {
      throw new IllegalArgumentException("MLM probability must be in (0, 1), got " + probability);
    }
    if (vocabularySize <= 5) {
      throw new IllegalArgumentException("vocabulary of " + vocabularySize + " ids is too small");
    }
    this.probability = probability;
    this.special = special;
    this.vocabularySize = vocabularySize;
  }

  public double probability() {
    return probability;
  }

  /** Masks a sequence deterministically: the same ids and seed give the same result anywhere. */
  public MaskedSequence mask(int[] ids, long seed) {
    return mask(ids, new SplittableRandom(seed));
  }

  /**
   * Masks a sequence with draws from {@code random}.
   *
   * @throws IllegalArgumentException if the sequence has no token that is not special
   */
  public MaskedSequence mask(int[] ids, SplittableRandom random) {
    boolean[] chosen = new boolean[ids.length];
    int candidates = 0;
    int count = 0;
    for (int position = 0; position < ids.length; position++) {
      if (!special.isSpecial(ids[position])) {
        candidates++;
        if (random.nextDouble() < probability) {
          chosen[position] = true;
          count++;
        }
      }
    }
    if (candidates == 0) {
      throw new IllegalArgumentException(
          "a sequence of special tokens only has nothing to mask: " + Arrays.toString(ids));
    }
    if (count == 0) {
      chosen[nthCandidate(ids, random.nextInt(candidates))] = true;
      count = 1;
    }
    int[] input = ids.clone();
    int[] positions = new int[count];
    int[] targets = new int[count];
    int next = 0;
    for (int position = 0; position < ids.length; position++) {
      if (chosen[position]) {
        positions[next] = position;
        targets[next++] = ids[position];
        double rule = random.nextDouble();
        if (rule < 0.8) {
          input[position] = special.mask();
        } else if (rule < 0.9) {
          input[position] = randomToken(random);
        }
      }
    }
    return new MaskedSequence(input, positions, targets);
  }

  private int nthCandidate(int[] ids, int n) {
    for (int position = 0; position < ids.length; position++) {
      if (!special.isSpecial(ids[position]) && n-- == 0) {
        return position;
      }
    }
    throw new AssertionError("fewer candidates than counted");
  }

  private int randomToken(SplittableRandom random) {
    int id;
    do {
      id = random.nextInt(vocabularySize);
    } while (special.isSpecial(id));
    return id;
  }
}
