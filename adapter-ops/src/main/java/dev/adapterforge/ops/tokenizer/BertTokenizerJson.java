package dev.adapterforge.ops.tokenizer;

import static dev.adapterforge.ops.tokenizer.SpecialTokens.BERT_CLS;
import static dev.adapterforge.ops.tokenizer.SpecialTokens.BERT_MASK;
import static dev.adapterforge.ops.tokenizer.SpecialTokens.BERT_PAD;
import static dev.adapterforge.ops.tokenizer.SpecialTokens.BERT_SEP;
import static dev.adapterforge.ops.tokenizer.SpecialTokens.BERT_UNK;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The tokenizer.json Hugging Face's BertTokenizerFast builds from a BERT vocab.txt (transformers'
 * BertConverter, as published for bert-base-multilingual-cased), so a bare vocab.txt runs through
 * the same engine as any tokenizer.json.
 */
final class BertTokenizerJson {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SUBWORD_PREFIX = "##";

  private BertTokenizerJson() {}

  /**
   * @param vocab the vocab.txt text; lines end in \n, \r\n or \r, as Python's universal newlines
   *     read them, and a token repeated on a later line takes that line's id, as transformers'
   *     load_vocab does
   * @param lowercase BERT's do_lower_case; also strips accents, as BertNormalizer does when
   *     strip_accents is unset
   * @throws IllegalArgumentException if the vocabulary lacks one of BERT's five special tokens
   */
  static String fromVocab(String vocab, boolean lowercase) {
    ObjectNode ids = JSON.createObjectNode();
    List<String> lines = vocab.lines().toList();
    for (int id = 0; id < lines.size(); id++) {
      ids.put(lines.get(id), id);
    }
    List<String> missing = specialTokens().filter(token -> !ids.has(token)).toList();
    if (!missing.isEmpty()) {
      throw new IllegalArgumentException("vocab.txt lacks BERT special tokens " + missing);
    }

    ObjectNode root = JSON.createObjectNode();
    root.put("version", "1.0");
    root.putNull("truncation");
    root.putNull("padding");
    root.set("added_tokens", addedTokens(ids));

    ObjectNode normalizer = root.putObject("normalizer");
    normalizer.put("type", "BertNormalizer");
    normalizer.put("clean_text", true);
    normalizer.put("handle_chinese_chars", true);
    normalizer.putNull("strip_accents");
    normalizer.put("lowercase", lowercase);

    root.putObject("pre_tokenizer").put("type", "BertPreTokenizer");
    root.set("post_processor", clsSepTemplate(ids.get(BERT_CLS).intValue(),
        ids.get(BERT_SEP).intValue()));

    ObjectNode decoder = root.putObject("decoder");
    decoder.put("type", "WordPiece");
    decoder.put("prefix", SUBWORD_PREFIX);
    decoder.put("cleanup", true);

    ObjectNode model = root.putObject("model");
    model.put("type", "WordPiece");
    model.put("unk_token", BERT_UNK);
    model.put("continuing_subword_prefix", SUBWORD_PREFIX);
    model.put("max_input_chars_per_word", 100);
    model.set("vocab", ids);
    try {
      return JSON.writeValueAsString(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a tree of strings and numbers always serializes", e);
    }
  }

  private static Stream<String> specialTokens() {
    return Stream.of(BERT_PAD, BERT_UNK, BERT_CLS, BERT_SEP, BERT_MASK);
  }

  // Matched in the raw text before normalization, as special tokens are (normalized: false).
  private static ArrayNode addedTokens(ObjectNode ids) {
    ArrayNode tokens = JSON.createArrayNode();
    specialTokens()
        .sorted(Comparator.comparingInt(content -> ids.get(content).intValue()))
        .forEach(content -> tokens.addObject()
            .put("id", ids.get(content).intValue())
            .put("content", content)
            .put("single_word", false)
            .put("lstrip", false)
            .put("rstrip", false)
            .put("normalized", false)
            .put("special", true));
    return tokens;
  }

  // "[CLS] $A [SEP]" for one text, "[CLS] $A [SEP] $B:1 [SEP]:1" for a pair.
  private static ObjectNode clsSepTemplate(int clsId, int sepId) {
    ObjectNode processor = JSON.createObjectNode();
    processor.put("type", "TemplateProcessing");
    ArrayNode single = processor.putArray("single");
    single.add(special(BERT_CLS, 0)).add(sequence("A", 0)).add(special(BERT_SEP, 0));
    ArrayNode pair = processor.putArray("pair");
    pair.add(special(BERT_CLS, 0)).add(sequence("A", 0)).add(special(BERT_SEP, 0))
        .add(sequence("B", 1)).add(special(BERT_SEP, 1));
    ObjectNode specialTokens = processor.putObject("special_tokens");
    specialTokens.set(BERT_CLS, templateToken(BERT_CLS, clsId));
    specialTokens.set(BERT_SEP, templateToken(BERT_SEP, sepId));
    return processor;
  }

  private static ObjectNode special(String token, int typeId) {
    ObjectNode item = JSON.createObjectNode();
    item.putObject("SpecialToken").put("id", token).put("type_id", typeId);
    return item;
  }

  private static ObjectNode sequence(String id, int typeId) {
    ObjectNode item = JSON.createObjectNode();
    item.putObject("Sequence").put("id", id).put("type_id", typeId);
    return item;
  }

  private static ObjectNode templateToken(String token, int id) {
    ObjectNode entry = JSON.createObjectNode();
    entry.put("id", token);
    entry.putArray("ids").add(id);
    entry.putArray("tokens").add(token);
    return entry;
  }
}
