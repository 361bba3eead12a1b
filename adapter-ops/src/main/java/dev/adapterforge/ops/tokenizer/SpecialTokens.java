package dev.adapterforge.ops.tokenizer;

import java.io.Serializable;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Ids of the special tokens masked language modelling needs: the sequence start and end the model
 * was trained with, padding, the mask that replaces hidden tokens, and the unknown token.
 */
public record SpecialTokens(int cls, int sep, int pad, int mask, int unk) implements Serializable {

  // BERT's spellings, the ones BertTokenizerFast assumes for a vocab.txt.
  static final String BERT_CLS = "[CLS]";
  static final String BERT_SEP = "[SEP]";
  static final String BERT_PAD = "[PAD]";
  static final String BERT_MASK = "[MASK]";
  static final String BERT_UNK = "[UNK]";

  /**
   * Finds each role by its conventional spelling, BERT's first, then XLM-R's (SentencePiece); the
   * unknown token by the model's own declaration when it has one, since that is the token it emits.
   *
   * @param ids the vocabulary, token to id
   * @param declaredUnk the unknown token the tokenizer's model names, if any
   * @throws IllegalArgumentException if a role has no token in the vocabulary
   */
  static SpecialTokens resolve(Map<String, Integer> ids, Optional<String> declaredUnk) {
    return new SpecialTokens(
        find(ids, "cls", BERT_CLS, "<s>"),
        find(ids, "sep", BERT_SEP, "</s>"),
        find(ids, "pad", BERT_PAD, "<pad>"),
        find(ids, "mask", BERT_MASK, "<mask>"),
        declaredUnk.isPresent()
            ? find(ids, "unk", declaredUnk.get())
            : find(ids, "unk", BERT_UNK, "<unk>"));
  }

  /** Whether {@code id} is one of these tokens, none of which MLM ever predicts. */
  public boolean isSpecial(int id) {
    return id == cls || id == sep || id == pad || id == mask || id == unk;
  }

  private static int find(Map<String, Integer> ids, String role, String... spellings) {
    return Stream.of(spellings)
        .map(ids::get)
        .filter(Objects::nonNull)
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException(
            "the vocabulary has no " + role + " token (looked for " + String.join(", ", spellings)
                + ")"));
  }
}
