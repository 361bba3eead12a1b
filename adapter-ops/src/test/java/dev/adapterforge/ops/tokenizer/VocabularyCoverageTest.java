package dev.adapterforge.ops.tokenizer;

import static dev.adapterforge.ops.tokenizer.Fixtures.udhrArticle1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What a Latin-script vocabulary makes of scripts it has never seen. */
class VocabularyCoverageTest {

  private static Tokenizer latin;

  @BeforeAll
  static void load() {
    latin = Tokenizer.load(TokenizerSpec.fromFolder(Fixtures.WORDPIECE));
  }

  @AfterAll
  static void close() {
    latin.close();
  }

  @Test
  void ethiopicTextIsUnknownThroughout() {
    // 20 words and 21 marks (19 wordspaces ፡, 2 full stops ።), which BERT splits off as
    // punctuation: 41 [UNK] holding all 103 characters
    assertEquals(new VocabularyCoverage(41, 41, 103), latin.coverage(udhrArticle1("amh")));
  }

  @Test
  void coveredTextHasNoUnknowns() {
    assertEquals(new VocabularyCoverage(38, 0, 0), latin.coverage(udhrArticle1("eng")));
  }

  @Test
  void oneUnknownWordCountsAllItsCharacters() {
    VocabularyCoverage sundanese = latin.coverage(udhrArticle1("sun"));
    VocabularyCoverage yoruba = latin.coverage(udhrArticle1("yor"));

    // martabat
    assertEquals(1, sundanese.unknownTokens());
    assertEquals(8, sundanese.unknownCharacters());
    // làákàyè
    assertEquals(1, yoruba.unknownTokens());
    assertEquals(7, yoruba.unknownCharacters());
    assertEquals(latin.encode(udhrArticle1("yor")).length - 2, yoruba.tokens());
  }

  @Test
  void charactersAreCodePointsNotUtf16Units() {
    // U+20000 is one CJK ideograph, two Java chars
    assertEquals(new VocabularyCoverage(2, 1, 1), latin.coverage("人\uD840\uDC00"));
  }

  @Test
  void chunksWithCoverageAreTheChunksAndSplitTheTextsCoverage() {
    List<String> texts = List.of(udhrArticle1("amh"), udhrArticle1("sun"), udhrArticle1("eng"), "");
    int maxLength = 8;

    List<List<TokenizedChunk>> withCoverage = latin.chunkBatchWithCoverage(texts, maxLength);

    for (int t = 0; t < texts.size(); t++) {
      List<int[]> plain = latin.chunk(texts.get(t), maxLength);
      List<TokenizedChunk> chunks = withCoverage.get(t);
      assertEquals(plain.size(), chunks.size());
      long unknownTokens = 0;
      long unknownCharacters = 0;
      for (int c = 0; c < chunks.size(); c++) {
        assertArrayEquals(plain.get(c), chunks.get(c).inputIds());
        unknownTokens += chunks.get(c).unknownTokens();
        unknownCharacters += chunks.get(c).unknownCharacters();
      }
      VocabularyCoverage coverage = latin.coverage(texts.get(t));
      assertEquals(coverage.unknownTokens(), unknownTokens, texts.get(t));
      assertEquals(coverage.unknownCharacters(), unknownCharacters, texts.get(t));
    }
  }
}
