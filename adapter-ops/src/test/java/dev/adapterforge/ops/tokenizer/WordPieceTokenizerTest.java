package dev.adapterforge.ops.tokenizer;

import static dev.adapterforge.ops.tokenizer.Fixtures.assertEncodes;
import static dev.adapterforge.ops.tokenizer.Fixtures.udhrArticle1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A BERT vocab.txt through the tokenizer.json BertTokenizerFast builds from it. Expected tokens are
 * worked out by hand: whitespace and punctuation split words, every CJK ideograph is a word, then
 * WordPiece takes the longest vocabulary entry from the left, {@code ##} marking pieces inside a
 * word, and a word it cannot finish becomes a single [UNK].
 */
class WordPieceTokenizerTest {

  private static Tokenizer cased;

  @BeforeAll
  static void load() {
    cased = Tokenizer.load(TokenizerSpec.fromFolder(Fixtures.WORDPIECE));
  }

  @AfterAll
  static void close() {
    cased.close();
  }

  @Test
  void englishSplitsOffPunctuationAndTakesTheLongestPieceFirst() {
    // ##ings over ##ing + ##s, ##nity over ##n + ##ity, ##hood over ##ho + ##od
    assertEncodes(cased, udhrArticle1("eng"),
        "[CLS] All human be ##ings are born free and equal in dig ##nity and right ##s ."
            + " They are end ##owed with reason and con ##science and should act towards one"
            + " another in a spirit of brother ##hood . [SEP]");
  }

  @Test
  void aWordGreedyMatchingCannotFinishIsOneUnknownToken() {
    // martabat: mar, then ##tab is longer than ##ta, and nothing spells the "at" left over; greedy
    // matching never goes back to mar ##ta ##bat, so the whole word is [UNK]
    assertEncodes(cased, udhrArticle1("sun"),
        "[CLS] Sakum ##na jalma gub ##rag ka alam dunya teh sifat ##na merdika jeung boga [UNK]"
            + " katut hak - hak anu sarua . Mara ##neh ##na dibere akal jeung hate nurani ,"
            + " campur - gaul jeung sasama ##na aya dina sumanget du ##dulur ##an . [SEP]");
  }

  @Test
  void casedVocabularyKeepsAccentsAndCombiningMarks() {
    // ẹ̀ and ọ́ are a letter plus a combining mark, part of the word; ‐ (U+2010) is punctuation;
    // làákàyè is not in the vocabulary
    assertEncodes(cased, udhrArticle1("yor"),
        "[CLS] Gbogbo ènìyàn ni a bí ní òmìnira ; iyì àti ẹ̀tọ́ kọ̀ ##ọ̀kan sì dọ́ ##gba ."
            + " Wọ́n ní ẹ̀bùn ti [UNK] àti ti ẹ̀rí ‐ ọkàn , ó sì yẹ kí wọn ó máa hùwà sí ara wọn"
            + " gẹ́ ##gẹ́ bí ọmọ ìyá . [SEP]");
    assertEncodes(cased, "Gbogbo ÈNÌYÀN eniyan", "[CLS] Gbogbo [UNK] eniyan [SEP]");
  }

  @Test
  void lowercasingAlsoStripsAccents() {
    try (Tokenizer uncased = Tokenizer.load(TokenizerSpec.fromFolder(Fixtures.WORDPIECE, true))) {
      assertEncodes(uncased, "Gbogbo ÈNÌYÀN", "[CLS] gbogbo eniyan [SEP]");
    }
  }

  @Test
  void everyChineseCharacterIsAWordButKanaRunsAreNot() {
    // 在尊严和权利上一律 are not in the vocabulary: nine [UNK], one per character
    assertEncodes(cased, "人人生而自由,在尊严和权利上一律平等。",
        "[CLS] 人 人 生 而 自 由 , [UNK] [UNK] [UNK] [UNK] [UNK] [UNK] [UNK] [UNK] [UNK] 平 等 。 [SEP]");
    // すべての is one word (すべて ##の); 人 and 間 are ideographs; 、 is punctuation
    assertEncodes(cased, "すべての人間は、", "[CLS] すべて ##の 人 [UNK] は 、 [SEP]");
  }

  @Test
  void controlAndFormatCharactersVanishAndAnyWhitespaceSeparates() {
    // NUL, soft hyphen, zero-width space and U+FFFD are removed; tab, CR and LF are spaces
    assertEncodes(cased, "\tAll\u0000 human\r\nbe\u00ADings are\u200B born\uFFFD free",
        "[CLS] All human be ##ings are born free [SEP]");
  }

  @Test
  void specialTokenWrittenInTheTextIsThatToken() {
    assertEncodes(cased, "a [MASK].", "[CLS] a [MASK] . [SEP]");
  }

  @Test
  void specialTokensAndVocabularySizeComeFromTheVocabFile() {
    assertEquals(new SpecialTokens(2, 3, 0, 4, 1), cased.specialTokens());
    assertEquals(129, cased.vocabularySize());
    assertThrows(IllegalArgumentException.class, () -> cased.tokens(new int[] {129}));
  }

  @Test
  void decodingGluesPiecesBackIntoWords() {
    String sentence = "All human beings are born free and equal in dignity and rights.";
    int[] ids = cased.encode(sentence);

    assertEquals(sentence, cased.decode(ids, true));
    assertEquals("[CLS] " + sentence + " [SEP]", cased.decode(ids, false));
  }

  @Test
  void batchEncodesEachTextAsAlone() {
    List<String> texts = List.of(udhrArticle1("eng"), "", udhrArticle1("amh"), udhrArticle1("yor"));

    List<int[]> batch = cased.encodeBatch(texts);

    assertEquals(texts.size(), batch.size());
    for (int i = 0; i < texts.size(); i++) {
      assertArrayEquals(cased.encode(texts.get(i)), batch.get(i), texts.get(i));
    }
  }

  @Test
  void djlIsKeptOffline() {
    assumeTrue(System.getenv("DJL_OFFLINE") == null, "DJL_OFFLINE is set in the environment");
    assertEquals("true", System.getProperty("ai.djl.offline"));
  }
}
