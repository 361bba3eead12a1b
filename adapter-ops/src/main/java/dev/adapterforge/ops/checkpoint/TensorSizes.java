package dev.adapterforge.ops.checkpoint;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * The size check both readers apply to every tensor their index lists, before mapping any bytes.
 */
final class TensorSizes {
  private TensorSizes() {}

  /**
   * Checks that {@code storedBytes} is what {@code dtype} and {@code shape} take, and that it fits
   * one memory mapping (2 GiB).
   */
  static void check(Path file, String name, TensorDType dtype, long[] shape, long storedBytes)
      throws CheckpointFormatException {
    long expected;
    try {
      expected = Math.multiplyExact(Tensor.elementCount(shape), dtype.byteSize());
    } catch (IllegalArgumentException | ArithmeticException e) {
      throw new CheckpointFormatException(
          file, "tensor " + name + ": impossible shape " + Arrays.toString(shape), e);
    }
    if (storedBytes != expected) {
      throw new CheckpointFormatException(
          file,
          String.format(
              "tensor %s: %d bytes stored, but %s%s takes %d",
              name, storedBytes, dtype, Arrays.toString(shape), expected));
    }
    if (storedBytes > Integer.MAX_VALUE) {
      throw new CheckpointFormatException(
          file, "tensor " + name + ": over 2 GiB, more than one memory mapping holds");
    }
  }
}
