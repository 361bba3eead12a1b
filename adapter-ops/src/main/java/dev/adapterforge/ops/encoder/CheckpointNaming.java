package dev.adapterforge.ops.encoder;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * How a checkpoint names the encoder's tensors: the one place where checkpoint names meet the
 * internal layout of {@link EncoderTensor}. The naming is recognised from the names themselves, not
 * from the file format, so a safetensors file with TensorFlow names reads as well as a
 * TensorBundle. Tensors no {@link EncoderTensor} needs (the pooler, a next-sentence head, a tied
 * decoder weight) are ignored.
 */
enum CheckpointNaming {
  /**
   * Google's TF1 BERT ({@code bert/...}, {@code cls/predictions/...}), also under a TF-Hub scope
   * ({@code module/}) as in the mBERT SavedModel. Dense kernels are stored [in, out].
   */
  TENSORFLOW_BERT(EncoderFamily.BERT, false),
  /** transformers' BertForMaskedLM ({@code bert.}, {@code cls.predictions.}): Linear [out, in]. */
  HUGGING_FACE_BERT(EncoderFamily.BERT, true),
  /**
   * transformers' RobertaForMaskedLM and XLMRobertaForMaskedLM ({@code roberta.}, {@code
   * lm_head.}): Linear [out, in].
   */
  HUGGING_FACE_ROBERTA(EncoderFamily.ROBERTA, true);

  private static final String TF_HUB_SCOPE = "module/";

  private final EncoderFamily family;
  private final boolean denseTransposed;

  CheckpointNaming(EncoderFamily family, boolean denseTransposed) {
    this.family = family;
    this.denseTransposed = denseTransposed;
  }

  /** The architecture family whose checkpoints use this naming. */
  EncoderFamily family() {
    return family;
  }

  /** Whether dense weights are stored [out, in], the transpose of the internal layout. */
  boolean storesTransposed(EncoderTensor tensor) {
    return denseTransposed && tensor.isDenseWeight();
  }

  /**
   * The naming whose word embeddings the checkpoint has, if any; of two that fit (a bare
   * transformers model names tensors without the model prefix, alike for BERT and RoBERTa), the
   * one of the config's family.
   */
  static Optional<CheckpointNaming> detect(Set<String> checkpointNames, EncoderFamily family) {
    List<CheckpointNaming> present =
        Arrays.stream(values())
            .filter(
                naming ->
                    naming.names(EncoderTensor.WORD_EMBEDDINGS, 0).stream()
                        .anyMatch(checkpointNames::contains))
            .toList();
    return present.stream()
        .filter(naming -> naming.family == family)
        .findFirst()
        .or(() -> present.stream().findFirst());
  }

  /**
   * The names a tensor may have in a checkpoint of this naming, the first one present wins:
   * TensorFlow with or without the TF-Hub scope; Hugging Face LayerNorm parameters also under the
   * gamma/beta spelling of older checkpoints.
   */
  List<String> names(EncoderTensor tensor, int layer) {
    return switch (this) {
      case TENSORFLOW_BERT -> {
        String name = tensorFlowName(tensor, layer);
        yield List.of(TF_HUB_SCOPE + name, name);
      }
      case HUGGING_FACE_BERT, HUGGING_FACE_ROBERTA -> {
        String name = huggingFaceName(tensor, layer);
        // a bare BertModel/XLMRobertaModel (sentence-transformers, ONNX exports) has no prefix
        String bare = name.replaceFirst("^(bert|roberta)\\.", "");
        if (name.endsWith("LayerNorm.weight") || name.endsWith("layer_norm.weight")) {
          yield List.of(name, bare, name.replaceFirst("weight$", "gamma"));
        }
        if (name.endsWith("LayerNorm.bias") || name.endsWith("layer_norm.bias")) {
          yield List.of(name, bare, name.replaceFirst("bias$", "beta"));
        }
        yield name.equals(bare) ? List.of(name) : List.of(name, bare);
      }
    };
  }

  private static String tensorFlowName(EncoderTensor tensor, int layer) {
    String block = "bert/encoder/layer_" + layer + "/";
    return switch (tensor) {
      case WORD_EMBEDDINGS -> "bert/embeddings/word_embeddings";
      case POSITION_EMBEDDINGS -> "bert/embeddings/position_embeddings";
      case TOKEN_TYPE_EMBEDDINGS -> "bert/embeddings/token_type_embeddings";
      case EMBEDDING_NORM_GAIN -> "bert/embeddings/LayerNorm/gamma";
      case EMBEDDING_NORM_BIAS -> "bert/embeddings/LayerNorm/beta";
      case QUERY_WEIGHT -> block + "attention/self/query/kernel";
      case QUERY_BIAS -> block + "attention/self/query/bias";
      case KEY_WEIGHT -> block + "attention/self/key/kernel";
      case KEY_BIAS -> block + "attention/self/key/bias";
      case VALUE_WEIGHT -> block + "attention/self/value/kernel";
      case VALUE_BIAS -> block + "attention/self/value/bias";
      case ATTENTION_OUTPUT_WEIGHT -> block + "attention/output/dense/kernel";
      case ATTENTION_OUTPUT_BIAS -> block + "attention/output/dense/bias";
      case ATTENTION_NORM_GAIN -> block + "attention/output/LayerNorm/gamma";
      case ATTENTION_NORM_BIAS -> block + "attention/output/LayerNorm/beta";
      case INTERMEDIATE_WEIGHT -> block + "intermediate/dense/kernel";
      case INTERMEDIATE_BIAS -> block + "intermediate/dense/bias";
      case OUTPUT_WEIGHT -> block + "output/dense/kernel";
      case OUTPUT_BIAS -> block + "output/dense/bias";
      case OUTPUT_NORM_GAIN -> block + "output/LayerNorm/gamma";
      case OUTPUT_NORM_BIAS -> block + "output/LayerNorm/beta";
      case MLM_TRANSFORM_WEIGHT -> "cls/predictions/transform/dense/kernel";
      case MLM_TRANSFORM_BIAS -> "cls/predictions/transform/dense/bias";
      case MLM_NORM_GAIN -> "cls/predictions/transform/LayerNorm/gamma";
      case MLM_NORM_BIAS -> "cls/predictions/transform/LayerNorm/beta";
      case MLM_OUTPUT_BIAS -> "cls/predictions/output_bias";
    };
  }

  private String huggingFaceName(EncoderTensor tensor, int layer) {
    boolean roberta = this == HUGGING_FACE_ROBERTA;
    String model = roberta ? "roberta." : "bert.";
    String block = model + "encoder.layer." + layer + ".";
    Optional<Projection> projection = Projection.of(tensor);
    if (projection.isPresent()) {
      String parameter = tensor == projection.get().weight() ? ".weight" : ".bias";
      return block + projection.get().huggingFaceModule() + parameter;
    }
    return switch (tensor) {
      case WORD_EMBEDDINGS -> model + "embeddings.word_embeddings.weight";
      case POSITION_EMBEDDINGS -> model + "embeddings.position_embeddings.weight";
      case TOKEN_TYPE_EMBEDDINGS -> model + "embeddings.token_type_embeddings.weight";
      case EMBEDDING_NORM_GAIN -> model + "embeddings.LayerNorm.weight";
      case EMBEDDING_NORM_BIAS -> model + "embeddings.LayerNorm.bias";
      case ATTENTION_NORM_GAIN -> block + "attention.output.LayerNorm.weight";
      case ATTENTION_NORM_BIAS -> block + "attention.output.LayerNorm.bias";
      case OUTPUT_NORM_GAIN -> block + "output.LayerNorm.weight";
      case OUTPUT_NORM_BIAS -> block + "output.LayerNorm.bias";
      case MLM_TRANSFORM_WEIGHT ->
          roberta ? "lm_head.dense.weight" : "cls.predictions.transform.dense.weight";
      case MLM_TRANSFORM_BIAS ->
          roberta ? "lm_head.dense.bias" : "cls.predictions.transform.dense.bias";
      case MLM_NORM_GAIN ->
          roberta ? "lm_head.layer_norm.weight" : "cls.predictions.transform.LayerNorm.weight";
      case MLM_NORM_BIAS ->
          roberta ? "lm_head.layer_norm.bias" : "cls.predictions.transform.LayerNorm.bias";
      case MLM_OUTPUT_BIAS -> roberta ? "lm_head.bias" : "cls.predictions.bias";
      default -> throw new AssertionError(tensor + " is a projection's");
    };
  }
}
