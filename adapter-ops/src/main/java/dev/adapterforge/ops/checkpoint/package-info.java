/**
 * Named tensors on disk: the TensorFlow TensorBundle reader, the safetensors reader and writer, and
 * the {@link dev.adapterforge.ops.checkpoint.Checkpoint} view both readers share. Knows file
 * formats only, never model structure.
 */
package dev.adapterforge.ops.checkpoint;
