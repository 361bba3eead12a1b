package dev.adapterforge.ops.checkpoint;

import java.io.IOException;
import java.nio.file.Path;

/** The checkpoint formats this package reads, each opened from the one file that indexes it. */
public enum CheckpointKind {
  /**
   * TensorFlow's TensorBundle, opened from its {@code .index} file (a TF1 SavedModel's variables).
   */
  TENSOR_BUNDLE,
  /** A Hugging Face {@code .safetensors} file. */
  SAFETENSORS,
  /** An ONNX model's initializers, as exported from PyTorch. */
  ONNX;

  public Checkpoint open(Path file) throws IOException {
    return switch (this) {
      case TENSOR_BUNDLE -> TensorBundleCheckpoint.open(file);
      case SAFETENSORS -> SafetensorsCheckpoint.open(file);
      case ONNX -> OnnxCheckpoint.open(file);
    };
  }
}
