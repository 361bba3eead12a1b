package dev.adapterforge.ops.encoder;

import dev.adapterforge.ops.model.ModelArchitecture;

/**
 * The encoder's frozen tensors in its one internal layout, whatever checkpoint they came from:
 * dense weights are [in, out] (so a projection is {@code x · W + b}), embedding tables [rows,
 * hidden]. {@link CheckpointNaming} maps checkpoint names onto these.
 */
public enum EncoderTensor {
  WORD_EMBEDDINGS("embeddings.word", Scope.MODEL),
  POSITION_EMBEDDINGS("embeddings.position", Scope.MODEL),
  TOKEN_TYPE_EMBEDDINGS("embeddings.token_type", Scope.MODEL),
  EMBEDDING_NORM_GAIN("embeddings.norm.gain", Scope.MODEL),
  EMBEDDING_NORM_BIAS("embeddings.norm.bias", Scope.MODEL),

  QUERY_WEIGHT("attention.query.weight", Scope.LAYER),
  QUERY_BIAS("attention.query.bias", Scope.LAYER),
  KEY_WEIGHT("attention.key.weight", Scope.LAYER),
  KEY_BIAS("attention.key.bias", Scope.LAYER),
  VALUE_WEIGHT("attention.value.weight", Scope.LAYER),
  VALUE_BIAS("attention.value.bias", Scope.LAYER),
  ATTENTION_OUTPUT_WEIGHT("attention.output.weight", Scope.LAYER),
  ATTENTION_OUTPUT_BIAS("attention.output.bias", Scope.LAYER),
  ATTENTION_NORM_GAIN("attention.norm.gain", Scope.LAYER),
  ATTENTION_NORM_BIAS("attention.norm.bias", Scope.LAYER),
  INTERMEDIATE_WEIGHT("ffn.intermediate.weight", Scope.LAYER),
  INTERMEDIATE_BIAS("ffn.intermediate.bias", Scope.LAYER),
  OUTPUT_WEIGHT("ffn.output.weight", Scope.LAYER),
  OUTPUT_BIAS("ffn.output.bias", Scope.LAYER),
  OUTPUT_NORM_GAIN("ffn.norm.gain", Scope.LAYER),
  OUTPUT_NORM_BIAS("ffn.norm.bias", Scope.LAYER),

  MLM_TRANSFORM_WEIGHT("mlm.transform.weight", Scope.MODEL),
  MLM_TRANSFORM_BIAS("mlm.transform.bias", Scope.MODEL),
  MLM_NORM_GAIN("mlm.norm.gain", Scope.MODEL),
  MLM_NORM_BIAS("mlm.norm.bias", Scope.MODEL),
  /** The output projection is the word embeddings, tied; only its bias is a tensor of its own. */
  MLM_OUTPUT_BIAS("mlm.output_bias", Scope.MODEL);

  /** Whether a tensor exists once per model or once per transformer layer. */
  enum Scope {
    MODEL,
    LAYER
  }

  private final String id;
  private final Scope scope;

  EncoderTensor(String id, Scope scope) {
    this.id = id;
    this.scope = scope;
  }

  boolean perLayer() {
    return scope == Scope.LAYER;
  }

  /** How many of it a model of this architecture has: one, or one per layer. */
  int count(ModelArchitecture architecture) {
    return perLayer() ? architecture.numHiddenLayers() : 1;
  }

  /**
   * Unique name of one instance, as SameDiff graphs and messages show it, e.g. {@code
   * layer3.attention.query.weight}; {@code layer} is ignored for a model-level tensor.
   */
  public String key(int layer) {
    return perLayer() ? "layer" + layer + "." + id : id;
  }

  /** Whether it belongs to the MLM head, which an encoder saved without it lacks. */
  boolean inMlmHead() {
    return name().startsWith("MLM_");
  }

  /** Whether it is a projection's weight matrix, which Hugging Face stores transposed. */
  boolean isDenseWeight() {
    return switch (this) {
      case QUERY_WEIGHT,
          KEY_WEIGHT,
          VALUE_WEIGHT,
          ATTENTION_OUTPUT_WEIGHT,
          INTERMEDIATE_WEIGHT,
          OUTPUT_WEIGHT,
          MLM_TRANSFORM_WEIGHT ->
          true;
      default -> false;
    };
  }

  /** Its shape in the internal layout for a model of this architecture. */
  long[] shape(ModelArchitecture a) {
    long hidden = a.hiddenSize();
    long intermediate = a.intermediateSize();
    return switch (this) {
      case WORD_EMBEDDINGS -> new long[] {a.vocabSize(), hidden};
      case POSITION_EMBEDDINGS -> new long[] {a.maxPositionEmbeddings(), hidden};
      case TOKEN_TYPE_EMBEDDINGS -> new long[] {a.typeVocabSize(), hidden};
      case QUERY_WEIGHT, KEY_WEIGHT, VALUE_WEIGHT, ATTENTION_OUTPUT_WEIGHT, MLM_TRANSFORM_WEIGHT ->
          new long[] {hidden, hidden};
      case INTERMEDIATE_WEIGHT -> new long[] {hidden, intermediate};
      case OUTPUT_WEIGHT -> new long[] {intermediate, hidden};
      case INTERMEDIATE_BIAS -> new long[] {intermediate};
      case MLM_OUTPUT_BIAS -> new long[] {a.vocabSize()};
      default -> new long[] {hidden};
    };
  }
}
