package dev.adapterforge.ops.mlm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adapterforge.ops.tokenizer.SpecialTokens;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MlmMaskingTest {
  /** BERT's numbering: [PAD] 0, [UNK] 100, [CLS] 101, [SEP] 102, [MASK] 103. */
  private static final SpecialTokens BERT = new SpecialTokens(101, 102, 0, 103, 100);

  private static final int VOCABULARY = 1000;
  private final MlmMasking masking = new MlmMasking(0.15, BERT, VOCABULARY);

  @Test
  void choosesFifteenPercentAndReplacesThemEightyTenTen() {
    SplittableRandom random = new SplittableRandom(1);
    int[] ids = new int[130];
    ids[0] = BERT.cls();
    for (int i = 1; i < 129; i++) {
      ids[i] = 200 + i;
    }
    ids[129] = BERT.sep();
    long chosen = 0;
    long masked = 0;
    long kept = 0;
    long replaced = 0;
    int sequences = 2000;
    for (int s = 0; s < sequences; s++) {
      MaskedSequence sequence = masking.mask(ids, random);
      for (int i = 0; i < sequence.maskedCount(); i++) {
        int position = sequence.positions()[i];
        assertTrue(position > 0 && position < 129, "special tokens are never chosen");
        assertEquals(ids[position], sequence.targets()[i]);
        int input = sequence.inputIds()[position];
        if (input == BERT.mask()) {
          masked++;
        } else if (input == ids[position]) {
          kept++;
        } else {
          assertTrue(
              input > 0 && input < VOCABULARY && (input < 100 || input > 103),
              "a random replacement is an ordinary token: " + input);
          replaced++;
        }
      }
      chosen += sequence.maskedCount();
    }
    double tokens = sequences * 128.0;
    assertEquals(0.15, chosen / tokens, 0.005);
    assertEquals(0.8, masked / (double) chosen, 0.01);
    // a random replacement may draw the original token itself (1 in ~995)
    assertEquals(0.1, kept / (double) chosen, 0.01);
    assertEquals(0.1, replaced / (double) chosen, 0.01);
  }

  @Test
  void unchosenPositionsAreUnchangedAndTheSeedDecides() {
    int[] ids = {101, 300, 301, 302, 303, 304, 305, 306, 102, 0, 0};
    MaskedSequence first = masking.mask(ids, 42L);
    MaskedSequence again = masking.mask(ids, 42L);
    assertArrayEquals(first.inputIds(), again.inputIds());
    assertArrayEquals(first.positions(), again.positions());
    for (int position = 0; position < ids.length; position++) {
      final int p = position;
      boolean isChosen = Arrays.stream(first.positions()).anyMatch(c -> c == p);
      if (!isChosen) {
        assertEquals(ids[position], first.inputIds()[position], "position " + position);
      }
    }
  }

  @Test
  void aShortSequenceAlwaysGetsOneTarget() {
    int[] ids = {101, 300, 102};
    for (long seed = 0; seed < 200; seed++) {
      MaskedSequence sequence = masking.mask(ids, seed);
      assertArrayEquals(new int[] {1}, sequence.positions());
      assertArrayEquals(new int[] {300}, sequence.targets());
    }
  }

  @Test
  void rejectsWhatCannotBeMasked() {
    assertThrows(IllegalArgumentException.class, () -> masking.mask(new int[] {101, 102}, 1L));
    assertThrows(IllegalArgumentException.class, () -> new MlmMasking(0, BERT, VOCABULARY));
    assertThrows(IllegalArgumentException.class, () -> new MlmMasking(1.5, BERT, VOCABULARY));
  }
}
