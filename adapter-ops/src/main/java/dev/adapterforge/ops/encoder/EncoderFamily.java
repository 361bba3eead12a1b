package dev.adapterforge.ops.encoder;

import java.util.Arrays;
import java.util.List;

/**
 * What distinguishes the BERT-family architectures the encoder computes. Both add the embedding of
 * token type 0 to every token, as Hugging Face does for a single text; RoBERTa's table has only
 * that row.
 */
public enum EncoderFamily {
  BERT(0, "bert", "bert"),
  /**
   * RoBERTa and XLM-R number positions from padding_idx + 1, padding_idx being their pad token id 1
   * in every published checkpoint, so position embeddings 0 and 1 are never used for a real token.
   */
  ROBERTA(2, "roberta", "roberta", "xlm-roberta");

  private final int positionOffset;
  private final String huggingFacePrefix;
  private final List<String> modelTypes;

  EncoderFamily(int positionOffset, String huggingFacePrefix, String... modelTypes) {
    this.positionOffset = positionOffset;
    this.huggingFacePrefix = huggingFacePrefix;
    this.modelTypes = List.of(modelTypes);
  }

  /**
   * The attribute Hugging Face's model classes keep the encoder under ({@code bert.encoder...},
   * {@code roberta.encoder...}), which prefixes the names in its files.
   */
  public String huggingFacePrefix() {
    return huggingFacePrefix;
  }

  /**
   * The position embedding row of the first token. Hugging Face gives padding tokens other rows
   * than this scheme does; they are masked out of attention, so no real token's state changes.
   */
  public int positionOffset() {
    return positionOffset;
  }

  /**
   * The family a config.json {@code model_type} names.
   *
   * @throws IllegalArgumentException for a model type of no supported family
   */
  public static EncoderFamily of(String modelType) {
    return Arrays.stream(values())
        .filter(family -> family.modelTypes.contains(modelType))
        .findFirst()
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "model_type \""
                        + modelType
                        + "\" is not a supported encoder; supported: "
                        + Arrays.stream(values()).flatMap(f -> f.modelTypes.stream()).toList()));
  }
}
