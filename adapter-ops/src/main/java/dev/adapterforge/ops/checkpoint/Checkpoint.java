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

  /**
   * {@link #tensor}, refused if it holds a NaN or an infinity: one such weight turns every output of
   * the model into NaN, silently.
   *
   * @throws CheckpointFormatException naming the tensor and the first such element
   */
  default Tensor finiteTensor(String name) throws IOException {
    Tensor tensor = tensor(name);
    long at = tensor.firstNonFinite();
    if (at >= 0) {
      throw new CheckpointFormatException(
          file(), "tensor " + name + " holds NaN or an infinity (element " + at + "); weights must be finite");
    }
    return tensor;
  }

  /** The tensor's elements widened to float, row-major. */
  default float[] read(String name) throws IOException {
    return tensor(name).toFloats();
  }
}
