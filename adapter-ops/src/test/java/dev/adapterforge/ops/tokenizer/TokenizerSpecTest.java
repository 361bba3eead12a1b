package dev.adapterforge.ops.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.adapterforge.ops.tokenizer.TokenizerSpec.Format;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerSpecTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void vocabTxtBecomesTheTokenizerJsonOfBertTokenizerFast() throws Exception {
    JsonNode built = JSON.readTree(TokenizerSpec.fromFolder(Fixtures.WORDPIECE).tokenizerJson());
    assertEquals(129, built.get("model").get("vocab").size());
    ((ObjectNode) built.get("model")).remove("vocab");

    // bert-base-multilingual-cased's tokenizer.json, with this vocabulary's special token ids
    assertEquals(JSON.readTree("""
        {
          "version": "1.0",
          "truncation": null,
          "padding": null,
          "added_tokens": [
            {"id": 0, "content": "[PAD]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
            {"id": 1, "content": "[UNK]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
            {"id": 2, "content": "[CLS]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
            {"id": 3, "content": "[SEP]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
            {"id": 4, "content": "[MASK]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}
          ],
          "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": null, "lowercase": false},
          "pre_tokenizer": {"type": "BertPreTokenizer"},
          "post_processor": {
            "type": "TemplateProcessing",
            "single": [
              {"SpecialToken": {"id": "[CLS]", "type_id": 0}},
              {"Sequence": {"id": "A", "type_id": 0}},
              {"SpecialToken": {"id": "[SEP]", "type_id": 0}}
            ],
            "pair": [
              {"SpecialToken": {"id": "[CLS]", "type_id": 0}},
              {"Sequence": {"id": "A", "type_id": 0}},
              {"SpecialToken": {"id": "[SEP]", "type_id": 0}},
              {"Sequence": {"id": "B", "type_id": 1}},
              {"SpecialToken": {"id": "[SEP]", "type_id": 1}}
            ],
            "special_tokens": {
              "[CLS]": {"id": "[CLS]", "ids": [2], "tokens": ["[CLS]"]},
              "[SEP]": {"id": "[SEP]", "ids": [3], "tokens": ["[SEP]"]}
            }
          },
          "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true},
          "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100}
        }
        """), built);
  }

  @Test
  void vocabLinesAreReadAsTransformersReadsThem() throws Exception {
    // any line ending; a repeated token keeps its last line number
    String vocab = "[PAD]\r\n[UNK]\r[CLS]\n[SEP]\n[MASK]\nhak\nhak\n";

    String json = new TokenizerSpec(Format.WORDPIECE_VOCAB, vocab, false).tokenizerJson();

    assertEquals(
        JSON.readTree("""
            {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "[MASK]": 4, "hak": 6}"""),
        JSON.readTree(json).get("model").get("vocab"));
  }

  @Test
  void aVocabularyWithoutTheMaskTokenIsRefused() {
    TokenizerSpec spec =
        new TokenizerSpec(Format.WORDPIECE_VOCAB, "[PAD]\n[UNK]\n[CLS]\n[SEP]\nhak\n", false);

    IllegalArgumentException refused =
        assertThrows(IllegalArgumentException.class, () -> Tokenizer.load(spec));
    assertTrue(refused.getMessage().contains("[MASK]"), refused.getMessage());
  }

  @Test
  void sha256OfATokenizerJsonIsThatOfTheFile() throws Exception {
    byte[] file = Files.readAllBytes(Fixtures.UNIGRAM.resolve("tokenizer.json"));
    String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(file));

    assertEquals(expected, TokenizerSpec.fromFolder(Fixtures.UNIGRAM).sha256());
  }

  @Test
  void sha256OfAVocabTxtCoversTheCasing() {
    String cased = TokenizerSpec.fromFolder(Fixtures.WORDPIECE).sha256();

    assertEquals(cased, TokenizerSpec.fromFolder(Fixtures.WORDPIECE, false).sha256());
    assertNotEquals(cased, TokenizerSpec.fromFolder(Fixtures.WORDPIECE, true).sha256());
    assertTrue(cased.matches("[0-9a-f]{64}"), cased);
  }

  @Test
  void aFolderWithBothFilesUsesItsTokenizerJson(@TempDir Path folder) throws Exception {
    Files.copy(Fixtures.UNIGRAM.resolve("tokenizer.json"), folder.resolve("tokenizer.json"));
    Files.copy(Fixtures.WORDPIECE.resolve("vocab.txt"), folder.resolve("vocab.txt"));

    assertEquals(Format.TOKENIZER_JSON, TokenizerSpec.fromFolder(folder).format());
    // a tokenizer.json's own normalizer decides casing
    assertThrows(IllegalArgumentException.class, () -> TokenizerSpec.fromFolder(folder, true));
  }

  @Test
  void aFolderWithNeitherFileIsRefused(@TempDir Path folder) {
    assertThrows(IllegalArgumentException.class, () -> TokenizerSpec.fromFolder(folder));
  }

  @Test
  void toStringNamesTheSpecWithoutPrintingTheVocabulary() {
    String shown = TokenizerSpec.fromFolder(Fixtures.WORDPIECE).toString();

    assertTrue(shown.startsWith("TokenizerSpec[vocab.txt, lowercase=false, "), shown);
    assertTrue(shown.length() < 100, shown);
  }
}
