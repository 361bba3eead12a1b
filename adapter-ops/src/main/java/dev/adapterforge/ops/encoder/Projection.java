package dev.adapterforge.ops.encoder;

/**
 * The dense projections of one transformer layer, each {@code x · W + b}, where adapters such as
 * LoRA attach through {@link EncoderAdapter#projection}.
 */
public enum Projection {
  QUERY(EncoderTensor.QUERY_WEIGHT, EncoderTensor.QUERY_BIAS),
  KEY(EncoderTensor.KEY_WEIGHT, EncoderTensor.KEY_BIAS),
  VALUE(EncoderTensor.VALUE_WEIGHT, EncoderTensor.VALUE_BIAS),
  /** The attention block's output dense, before its residual and LayerNorm. */
  ATTENTION_OUTPUT(EncoderTensor.ATTENTION_OUTPUT_WEIGHT, EncoderTensor.ATTENTION_OUTPUT_BIAS),
  /** The feed-forward block's widening dense, before the activation. */
  INTERMEDIATE(EncoderTensor.INTERMEDIATE_WEIGHT, EncoderTensor.INTERMEDIATE_BIAS),
  /** The feed-forward block's narrowing dense, before its residual and LayerNorm. */
  OUTPUT(EncoderTensor.OUTPUT_WEIGHT, EncoderTensor.OUTPUT_BIAS);

  private final EncoderTensor weight;
  private final EncoderTensor bias;

  Projection(EncoderTensor weight, EncoderTensor bias) {
    this.weight = weight;
    this.bias = bias;
  }

  EncoderTensor weight() {
    return weight;
  }

  EncoderTensor bias() {
    return bias;
  }
}
