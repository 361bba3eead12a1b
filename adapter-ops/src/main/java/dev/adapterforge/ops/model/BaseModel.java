package dev.adapterforge.ops.model;

import dev.adapterforge.ops.checkpoint.Checkpoint;
import dev.adapterforge.ops.checkpoint.CheckpointKind;
import dev.adapterforge.ops.tokenizer.Tokenizer;
import dev.adapterforge.ops.tokenizer.TokenizerCache;
import dev.adapterforge.ops.tokenizer.TokenizerSpec;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A resolved base model: a folder holding a Hugging Face config.json, a checkpoint and a tokenizer
 * file. Resolve one with {@link BaseModelResolver}.
 *
 * @param id the known id ({@code mbert}) or, for a folder given by path, its absolute path
 * @param directory the model folder
 * @param architecture what its config.json says
 * @param checkpointKind the checkpoint's format
 * @param checkpointFile the file to open the checkpoint from: model.safetensors, or a
 *     TensorBundle's variables/variables.index
 * @param checkpointSha256 hex SHA-256 of the tensor data (model.safetensors, or the bundle's data
 *     shard): the identity of the weights, for caches and lineage
 * @param vocabFile the tokenizer definition: tokenizer.json if present, else a WordPiece vocab.txt
 */
public record BaseModel(
    String id,
    Path directory,
    ModelArchitecture architecture,
    CheckpointKind checkpointKind,
    Path checkpointFile,
    String checkpointSha256,
    Path vocabFile) {

  /** The model's own tokenizer, from its folder, loaded once per JVM. */
  public Tokenizer tokenizer() {
    return TokenizerCache.get(TokenizerSpec.fromFolder(directory));
  }

  public Checkpoint openCheckpoint() throws IOException {
    return checkpointKind.open(checkpointFile);
  }
}
