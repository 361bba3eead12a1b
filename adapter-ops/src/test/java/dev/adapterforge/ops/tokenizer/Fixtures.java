package dev.adapterforge.ops.tokenizer;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** The test tokenizers and texts in src/test/resources/tokenizer, and checks against them. */
final class Fixtures {

  /** A cased BERT vocab.txt of 129 tokens written for the UDHR texts: Latin, CJK and kana. */
  static final Path WORDPIECE = resource("tokenizer/udhr-wordpiece");

  /** An XLM-R-shaped Unigram tokenizer.json: {@code <s> … </s>}, an added {@code <mask>}. */
  static final Path UNIGRAM = resource("tokenizer/sundanese-unigram");

  private static final Map<String, String> UDHR_ARTICLE_1 = readArticle1();

  private Fixtures() {}

  /** Article 1 of the UDHR in a language, by ISO 639-3 code: eng, sun, yor, amh, cmn, jpn. */
  static String udhrArticle1(String iso6393) {
    return UDHR_ARTICLE_1.get(iso6393);
  }

  /**
   * Asserts that the tokenizer encodes the text to these tokens, given space-separated, with ids
   * read from the fixture vocab.txt's line numbers rather than from the tokenizer under test.
   */
  static void assertEncodes(Tokenizer tokenizer, String text, String expectedTokens) {
    List<String> expected = List.of(expectedTokens.split(" "));
    int[] ids = tokenizer.encode(text);
    assertEquals(expected, tokenizer.tokens(ids));
    assertArrayEquals(wordPieceIds(expected), ids);
  }

  private static int[] wordPieceIds(List<String> tokens) {
    List<String> vocab = lines(WORDPIECE.resolve("vocab.txt"));
    return tokens.stream().mapToInt(token -> {
      int id = vocab.indexOf(token);
      if (id < 0) {
        throw new AssertionError("expected token " + token + " is not in the fixture vocab.txt");
      }
      return id;
    }).toArray();
  }

  private static Map<String, String> readArticle1() {
    return lines(resource("tokenizer/udhr-article1.tsv")).stream()
        .filter(line -> !line.startsWith("#"))
        .map(line -> line.split("\t", 2))
        .collect(Collectors.toMap(fields -> fields[0], fields -> fields[1]));
  }

  private static List<String> lines(Path file) {
    try {
      return Files.readAllLines(file, UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path resource(String name) {
    try {
      return Path.of(Fixtures.class.getClassLoader().getResource(name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
