package dev.adapterforge.ops.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A tokenizer.json loaded as it is: a Unigram model shaped like XLM-R's, whose special tokens,
 * wrapping and vocabulary all differ from BERT's.
 */
class TokenizerJsonTest {

  private static Tokenizer unigram;

  @BeforeAll
  static void load() {
    unigram = Tokenizer.load(TokenizerSpec.fromFolder(Fixtures.UNIGRAM));
  }

  @AfterAll
  static void close() {
    unigram.close();
  }

  @Test
  void unigramPicksTheMostProbableSegmentationNotTheLongestPiece() {
    // ▁Sakum na: -5 - 4 = -9. ▁jalma . scores -8 - 2 = -10, ▁ja lma . scores -3.5 - 3.5 - 2 = -9.
    int[] ids = unigram.encode("Sakumna jalma.");

    assertEquals(List.of("<s>", "▁Sakum", "na", "▁ja", "lma", ".", "</s>"), unigram.tokens(ids));
    assertArrayEquals(new int[] {0, 5, 6, 8, 9, 10, 2}, ids);
    assertEquals("Sakumna jalma.", unigram.decode(ids, true));
  }

  @Test
  void specialTokensIncludeOneAddedBeyondTheModelVocabulary() {
    assertEquals(new SpecialTokens(0, 2, 1, 11, 3), unigram.specialTokens());
    assertEquals(12, unigram.vocabularySize());
  }

  @Test
  void chunksAreWrappedInTheTokenizersOwnSpecialTokens() {
    List<int[]> chunks = unigram.chunk("Sakumna jalma.", 4);

    assertEquals(3, chunks.size());
    assertArrayEquals(new int[] {0, 5, 6, 2}, chunks.get(0));
    assertArrayEquals(new int[] {0, 8, 9, 2}, chunks.get(1));
    assertArrayEquals(new int[] {0, 10, 2}, chunks.get(2));
  }

  @Test
  void unknownCharactersFuseIntoOneUnknownToken() {
    // ▁ then one <unk> for all six Ethiopic characters
    assertEquals(new VocabularyCoverage(2, 1, 6), unigram.coverage("የሰው፡ልጅ"));
  }
}
