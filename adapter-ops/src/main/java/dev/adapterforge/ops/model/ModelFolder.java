package dev.adapterforge.ops.model;

import dev.adapterforge.ops.checkpoint.CheckpointKind;
import dev.adapterforge.ops.tokenizer.TokenizerSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The layout of a model folder: a Hugging Face folder (config.json, model.safetensors,
 * tokenizer.json or vocab.txt), or one extracted from a known model's TF1 SavedModel, which keeps
 * the TensorBundle under variables/ instead of model.safetensors.
 */
final class ModelFolder {
  static final String CONFIG = "config.json";
  static final String SAFETENSORS = "model.safetensors";
  static final String ONNX = "model.onnx";
  static final String BUNDLE_INDEX = "variables/variables.index";
  static final String BUNDLE_DATA = "variables/variables.data-00000-of-00001";
  private static final String SHARDED_SAFETENSORS_INDEX = "model.safetensors.index.json";
  private static final String PYTORCH_CHECKPOINT = "pytorch_model.bin";

  private static final String EXPECTED =
      String.format(
          "a model folder holds %s, %s (or an ONNX export's %s, or %s with its data shard, as"
              + " extracted for a known model) and one of %s",
          CONFIG,
          SAFETENSORS,
          ONNX,
          BUNDLE_INDEX,
          Arrays.stream(TokenizerSpec.Format.values())
              .map(TokenizerSpec.Format::fileName)
              .toList());

  private ModelFolder() {}

  /**
   * Reads the folder's config, locates its checkpoint and tokenizer, and takes the checkpoint's
   * SHA-256 (from its sidecar when fresh).
   *
   * @param value the {@code --base-model} value, for messages
   */
  static BaseModel read(String value, String id, Path directory) throws IOException {
    Path config = directory.resolve(CONFIG);
    if (!Files.isRegularFile(config)) {
      throw new BaseModelException(value, "no " + CONFIG + " in " + directory + "; " + EXPECTED);
    }
    ModelArchitecture architecture;
    try {
      architecture = ModelArchitecture.fromConfigJson(config);
    } catch (IllegalArgumentException e) {
      throw new BaseModelException(value, e.getMessage(), e);
    }

    Path safetensors = directory.resolve(SAFETENSORS);
    Path bundleIndex = directory.resolve(BUNDLE_INDEX);
    Path bundleData = directory.resolve(BUNDLE_DATA);
    CheckpointKind kind;
    Path checkpointFile;
    Path checkpointData;
    if (Files.isRegularFile(safetensors)) {
      kind = CheckpointKind.SAFETENSORS;
      checkpointFile = safetensors;
      checkpointData = safetensors;
    } else if (Files.isRegularFile(directory.resolve(ONNX))) {
      kind = CheckpointKind.ONNX;
      checkpointFile = directory.resolve(ONNX);
      checkpointData = checkpointFile;
    } else if (Files.isRegularFile(bundleIndex) && Files.isRegularFile(bundleData)) {
      kind = CheckpointKind.TENSOR_BUNDLE;
      checkpointFile = bundleIndex;
      checkpointData = bundleData;
    } else {
      throw new BaseModelException(value, missingCheckpoint(directory));
    }

    Path vocab =
        Arrays.stream(TokenizerSpec.Format.values())
            .map(format -> directory.resolve(format.fileName()))
            .filter(Files::isRegularFile)
            .findFirst()
            .orElseThrow(
                () ->
                    new BaseModelException(
                        value, "no tokenizer in " + directory + "; " + EXPECTED));

    return new BaseModel(
        id,
        directory,
        architecture,
        kind,
        checkpointFile,
        Sha256Sidecar.sha256(checkpointData),
        vocab);
  }

  private static String missingCheckpoint(Path directory) {
    if (Files.isRegularFile(directory.resolve(SHARDED_SAFETENSORS_INDEX))) {
      return String.format(
          "its checkpoint is split into shards (%s), which is not supported; save it as one %s",
          SHARDED_SAFETENSORS_INDEX, SAFETENSORS);
    }
    if (Files.isRegularFile(directory.resolve(PYTORCH_CHECKPOINT))) {
      return String.format(
          "it has only %s; convert it to %s (transformers: save_pretrained(dir,"
              + " safe_serialization=True))",
          PYTORCH_CHECKPOINT, SAFETENSORS);
    }
    if (Files.isRegularFile(directory.resolve(BUNDLE_INDEX))) {
      return BUNDLE_INDEX + " without its data shard " + BUNDLE_DATA;
    }
    return "no checkpoint in " + directory + "; " + EXPECTED;
  }
}
