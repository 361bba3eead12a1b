package dev.adapterforge.ops.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * The shape of a BERT-family encoder, as a Hugging Face config.json states it; each component is
 * the camel-case form of its config.json key. Serializable because encoder layer configurations,
 * which Spark ships to executors, carry it.
 */
public record ModelArchitecture(
    String modelType,
    int numHiddenLayers,
    int hiddenSize,
    int numAttentionHeads,
    int intermediateSize,
    int maxPositionEmbeddings,
    int vocabSize,
    int typeVocabSize,
    HiddenActivation hiddenAct,
    double layerNormEps,
    double hiddenDropoutProb,
    double attentionProbsDropoutProb)
    implements Serializable {

  static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

  public ModelArchitecture {
    if (numHiddenLayers < 1
        || hiddenSize < 1
        || numAttentionHeads < 1
        || intermediateSize < 1
        || maxPositionEmbeddings < 1
        || vocabSize < 1
        || typeVocabSize < 1) {
      throw new IllegalArgumentException(
          String.format(
              "every size must be positive: %d layers, hidden %d, %d heads, intermediate %d, %d"
                  + " positions, vocabulary %d, %d token types",
              numHiddenLayers,
              hiddenSize,
              numAttentionHeads,
              intermediateSize,
              maxPositionEmbeddings,
              vocabSize,
              typeVocabSize));
    }
    if (hiddenSize % numAttentionHeads != 0) {
      throw new IllegalArgumentException(
          String.format(
              "hidden_size %d is not a multiple of num_attention_heads %d",
              hiddenSize, numAttentionHeads));
    }
    if (!(layerNormEps > 0)
        || !isProbability(hiddenDropoutProb)
        || !isProbability(attentionProbsDropoutProb)) {
      throw new IllegalArgumentException(
          String.format(
              "layer_norm_eps must be positive and dropouts in [0, 1): %g, %g, %g",
              layerNormEps, hiddenDropoutProb, attentionProbsDropoutProb));
    }
  }

  private static boolean isProbability(double p) {
    return p >= 0 && p < 1;
  }

  /** Width of one attention head. */
  public int headSize() {
    return hiddenSize / numAttentionHeads;
  }

  /**
   * Reads a Hugging Face config.json; every key this record has must be present.
   *
   * @throws IllegalArgumentException naming the file and key if one is missing or invalid
   */
  public static ModelArchitecture fromConfigJson(Path file) throws IOException {
    try {
      JsonNode config = JSON.readTree(file.toFile());
      if (config == null || !config.isObject()) {
        throw new IllegalArgumentException("not a JSON object");
      }
      String activationName = text(config, "hidden_act");
      HiddenActivation activation =
          HiddenActivation.fromConfigName(activationName)
              .orElseThrow(
                  () ->
                      new IllegalArgumentException(
                          String.format(
                              "hidden_act \"%s\" is not one of %s",
                              activationName, HiddenActivation.configNames())));
      return new ModelArchitecture(
          text(config, "model_type"),
          integer(config, "num_hidden_layers"),
          integer(config, "hidden_size"),
          integer(config, "num_attention_heads"),
          integer(config, "intermediate_size"),
          integer(config, "max_position_embeddings"),
          integer(config, "vocab_size"),
          integer(config, "type_vocab_size"),
          activation,
          number(config, "layer_norm_eps"),
          number(config, "hidden_dropout_prob"),
          number(config, "attention_probs_dropout_prob"));
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(file + ": malformed JSON: " + e.getOriginalMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Writes this architecture, plus {@code extraFields}, as a Hugging Face config.json, keys sorted.
   */
  public void writeConfigJson(Path file, Map<String, Object> extraFields) throws IOException {
    Map<String, Object> config = new TreeMap<>(extraFields);
    config.put("model_type", modelType);
    config.put("num_hidden_layers", numHiddenLayers);
    config.put("hidden_size", hiddenSize);
    config.put("num_attention_heads", numAttentionHeads);
    config.put("intermediate_size", intermediateSize);
    config.put("max_position_embeddings", maxPositionEmbeddings);
    config.put("vocab_size", vocabSize);
    config.put("type_vocab_size", typeVocabSize);
    config.put("hidden_act", hiddenAct.configName());
    config.put("layer_norm_eps", layerNormEps);
    config.put("hidden_dropout_prob", hiddenDropoutProb);
    config.put("attention_probs_dropout_prob", attentionProbsDropoutProb);
    JSON.writeValue(file.toFile(), config);
  }

  private static JsonNode field(JsonNode config, String key) {
    JsonNode value = config.get(key);
    if (value == null || value.isNull()) {
      throw new IllegalArgumentException("no \"" + key + "\"");
    }
    return value;
  }

  private static String text(JsonNode config, String key) {
    JsonNode value = field(config, key);
    if (!value.isTextual()) {
      throw new IllegalArgumentException("\"" + key + "\" is " + value + ", not a string");
    }
    return value.textValue();
  }

  private static int integer(JsonNode config, String key) {
    JsonNode value = field(config, key);
    if (!value.isIntegralNumber() || !value.canConvertToInt()) {
      throw new IllegalArgumentException("\"" + key + "\" is " + value + ", not an integer");
    }
    return value.intValue();
  }

  private static double number(JsonNode config, String key) {
    JsonNode value = field(config, key);
    if (!value.isNumber()) {
      throw new IllegalArgumentException("\"" + key + "\" is " + value + ", not a number");
    }
    return value.doubleValue();
  }
}
