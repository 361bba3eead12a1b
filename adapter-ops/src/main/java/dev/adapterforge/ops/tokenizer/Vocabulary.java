package dev.adapterforge.ops.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A tokenizer.json's id to token table, its model's vocabulary plus its added tokens (XLM-R's
 * {@code <mask>} exists only there), and the special tokens found in it. The native engine keeps
 * its own copy but does not expose it.
 */
final class Vocabulary {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final String[] tokensById;
  private final SpecialTokens specialTokens;

  private Vocabulary(String[] tokensById, SpecialTokens specialTokens) {
    this.tokensById = tokensById;
    this.specialTokens = specialTokens;
  }

  /** @throws IllegalArgumentException if it has no model vocabulary or misses a special token */
  static Vocabulary of(String tokenizerJson) {
    JsonNode root;
    try {
      root = JSON.readTree(tokenizerJson);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage(), e);
    }
    JsonNode model = root.path("model");
    JsonNode vocab = model.path("vocab");
    Map<String, Integer> ids = new HashMap<>();
    if (vocab.isObject()) {
      // WordPiece, BPE, WordLevel: token -> id
      vocab.fields().forEachRemaining(entry -> ids.put(entry.getKey(), entry.getValue().asInt()));
    } else if (vocab.isArray()) {
      // Unigram: [piece, log probability] pairs, the id is the position
      for (int id = 0; id < vocab.size(); id++) {
        ids.put(vocab.get(id).get(0).textValue(), id);
      }
    } else {
      throw new IllegalArgumentException("tokenizer.json has no model.vocab");
    }
    for (JsonNode added : root.path("added_tokens")) {
      ids.put(added.get("content").textValue(), added.get("id").intValue());
    }

    int size = ids.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
    String[] tokensById = new String[size];
    ids.forEach((token, id) -> tokensById[id] = token);
    return new Vocabulary(tokensById, SpecialTokens.resolve(ids, declaredUnk(model, tokensById)));
  }

  // WordPiece and BPE name it (BPE may have none), Unigram gives its id.
  private static Optional<String> declaredUnk(JsonNode model, String[] tokensById) {
    JsonNode unkToken = model.path("unk_token");
    if (unkToken.isTextual()) {
      return Optional.of(unkToken.textValue());
    }
    JsonNode unkId = model.path("unk_id");
    return unkId.isInt() ? Optional.of(tokensById[unkId.intValue()]) : Optional.empty();
  }

  /** Rows an embedding matrix needs: the highest id plus one. */
  int size() {
    return tokensById.length;
  }

  /** @throws IllegalArgumentException if no token has this id */
  String token(int id) {
    if (id < 0 || id >= tokensById.length || tokensById[id] == null) {
      throw new IllegalArgumentException("no token has id " + id);
    }
    return tokensById[id];
  }

  SpecialTokens specialTokens() {
    return specialTokens;
  }
}
