package dev.adapterforge.ops.encoder;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The dense projections of one transformer layer, each {@code x · W + b}, where adapters such as
 * LoRA attach through {@link EncoderAdapter#projection}.
 */
public enum Projection {
  QUERY(EncoderTensor.QUERY_WEIGHT, EncoderTensor.QUERY_BIAS, "attention.self.query"),
  KEY(EncoderTensor.KEY_WEIGHT, EncoderTensor.KEY_BIAS, "attention.self.key"),
  VALUE(EncoderTensor.VALUE_WEIGHT, EncoderTensor.VALUE_BIAS, "attention.self.value"),
  /** The attention block's output dense, before its residual and LayerNorm. */
  ATTENTION_OUTPUT(
      EncoderTensor.ATTENTION_OUTPUT_WEIGHT,
      EncoderTensor.ATTENTION_OUTPUT_BIAS,
      "attention.output.dense"),
  /** The feed-forward block's widening dense, before the activation. */
  INTERMEDIATE(EncoderTensor.INTERMEDIATE_WEIGHT, EncoderTensor.INTERMEDIATE_BIAS, "intermediate.dense"),
  /** The feed-forward block's narrowing dense, before its residual and LayerNorm. */
  OUTPUT(EncoderTensor.OUTPUT_WEIGHT, EncoderTensor.OUTPUT_BIAS, "output.dense");

  private final EncoderTensor weight;
  private final EncoderTensor bias;
  private final String huggingFaceModule;

  Projection(EncoderTensor weight, EncoderTensor bias, String huggingFaceModule) {
    this.weight = weight;
    this.bias = bias;
    this.huggingFaceModule = huggingFaceModule;
  }

  /**
   * The module within a transformers BERT/RoBERTa layer ({@code encoder.layer.<i>.}), e.g. {@code
   * attention.self.query}: the name PEFT's target_modules match and checkpoints store it under.
   */
  public String huggingFaceModule() {
    return huggingFaceModule;
  }

  /**
   * The projection a module name means, as PEFT's target_modules name them: the module's path in
   * the layer ({@code attention.self.query}, {@code attention.output.dense}, {@code
   * intermediate.dense}, {@code output.dense}) or a suffix that only one of them has ({@code
   * query}, {@code key}, {@code value}).
   *
   * @throws IllegalArgumentException listing the names there are
   */
  public static Projection ofModule(String module) {
    Optional<Projection> exact =
        Arrays.stream(values()).filter(p -> p.huggingFaceModule.equals(module)).findFirst();
    List<Projection> bySuffix =
        Arrays.stream(values()).filter(p -> p.huggingFaceModule.endsWith("." + module)).toList();
    return exact
        .or(() -> bySuffix.size() == 1 ? Optional.of(bySuffix.get(0)) : Optional.empty())
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "unknown module \"" + module + "\"; modules: query, key, value, "
                        + Arrays.stream(values())
                            .map(Projection::huggingFaceModule)
                            .collect(Collectors.joining(", "))));
  }

  /** The projection whose weight or bias {@code tensor} is, if any. */
  static Optional<Projection> of(EncoderTensor tensor) {
    return Arrays.stream(values()).filter(p -> p.weight == tensor || p.bias == tensor).findFirst();
  }

  EncoderTensor weight() {
    return weight;
  }

  EncoderTensor bias() {
    return bias;
  }
}
