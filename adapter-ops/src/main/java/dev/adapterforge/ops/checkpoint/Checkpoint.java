package dev.adapterforge.ops.checkpoint;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Named tensors read from files, whatever their format. Opening reads and validates only the index;
 * tensor bytes are memory-mapped when asked for, one tensor at a time. Safe for concurrent reads;
 * tensors already returned stay valid after {@link #close()}.
 */
public interface Checkpoint extends Closeable {

  /** The file opened, as named in error messages. */
  Path file();

  /** Every tensor's name, sorted. */
  List<String> names();

  /**
   * @throws IllegalArgumentException if there is no tensor of this name
   */
  long[] shape(String name);

  /**
   * @throws IllegalArgumentException if there is no tensor of this name
   */
  TensorDType dtype(String name);

  /**
   * The tensor, checked against whatever integrity data the format stores.
   *
   * @throws IllegalArgumentException if there is no tensor of this name
   * @throws CheckpointFormatException if its bytes are missing or fail the check
   */
  Tensor tensor(String name) throws IOException;

  /** The tensor's elements widened to float, row-major. */
  default float[] read(String name) throws IOException {
    return tensor(name).toFloats();
  }
}
