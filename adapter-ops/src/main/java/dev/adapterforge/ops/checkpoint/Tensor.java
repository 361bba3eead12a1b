package dev.adapterforge.ops.checkpoint;

import static java.util.Objects.requireNonNull;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One named tensor: element type, shape (row-major, outermost first) and its little-endian bytes.
 * The bytes are often a read-only view of a memory-mapped file, so holding a Tensor costs no heap.
 */
public record Tensor(String name, TensorDType dtype, long[] shape, ByteBuffer data) {

  /** The largest Java array the JVM reliably allocates. */
  private static final int MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;

  /**
   * @throws IllegalArgumentException if {@code data} does not hold exactly the bytes the shape and
   *     dtype call for
   */
  public Tensor {
    requireNonNull(name, "name");
    requireNonNull(dtype, "dtype");
    shape = shape.clone();
    long bytes = Math.multiplyExact(elementCount(shape), dtype.byteSize());
    if (data.remaining() != bytes) {
      throw new IllegalArgumentException(
          String.format(
              "tensor %s: %s%s takes %d bytes, the data has %d",
              name, dtype, Arrays.toString(shape), bytes, data.remaining()));
    }
    data = data.slice().asReadOnlyBuffer();
  }

  /** A float32 tensor holding a copy of {@code values}. */
  public static Tensor ofFloats(String name, long[] shape, float[] values) {
    ByteBuffer data = ByteBuffer.allocate(Math.multiplyExact(values.length, Float.BYTES));
    data.order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(values);
    return new Tensor(name, TensorDType.F32, shape, data);
  }

  /** An int64 tensor holding a copy of {@code values}. */
  public static Tensor ofLongs(String name, long[] shape, long[] values) {
    ByteBuffer data = ByteBuffer.allocate(Math.multiplyExact(values.length, Long.BYTES));
    data.order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().put(values);
    return new Tensor(name, TensorDType.I64, shape, data);
  }

  /** Elements of a tensor of this shape; 1 for a scalar (empty shape). */
  public static long elementCount(long[] shape) {
    long count = 1;
    for (long dim : shape) {
      if (dim < 0) {
        throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
      }
      count = Math.multiplyExact(count, dim);
    }
    return count;
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  /** The bytes, little-endian, positioned at the first element; a fresh view on each call. */
  @Override
  public ByteBuffer data() {
    return data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
  }

  public long elementCount() {
    return elementCount(shape);
  }

  /**
   * The elements of an integer tensor, row-major.
   *
   * @throws IllegalStateException if it holds floating-point numbers
   */
  public long[] toLongs() {
    long[] values = new long[Math.toIntExact(elementCount())];
    ByteBuffer in = data();
    switch (dtype) {
      case I64 -> in.asLongBuffer().get(values);
      case I32 -> {
        var ints = in.asIntBuffer();
        for (int i = 0; i < values.length; i++) {
          values[i] = ints.get(i);
        }
      }
      default -> throw new IllegalStateException("tensor " + name + " is " + dtype + ", not an integer type");
    }
    return values;
  }

  /**
   * The row-major index of the first NaN or infinite element, or -1 if every element is finite (as
   * every element of an integer tensor is). Reads the exponent bits, so no element is converted.
   */
  public long firstNonFinite() {
    ByteBuffer in = data();
    switch (dtype) {
      case F64 -> {
        var bits = in.asLongBuffer();
        for (int i = 0; i < bits.limit(); i++) {
          if ((bits.get(i) & 0x7ff0000000000000L) == 0x7ff0000000000000L) {
            return i;
          }
        }
      }
      case F32 -> {
        var bits = in.asIntBuffer();
        for (int i = 0; i < bits.limit(); i++) {
          if ((bits.get(i) & 0x7f800000) == 0x7f800000) {
            return i;
          }
        }
      }
      case F16, BF16 -> {
        int exponent = dtype == TensorDType.F16 ? 0x7c00 : 0x7f80;
        var bits = in.asShortBuffer();
        for (int i = 0; i < bits.limit(); i++) {
          if ((bits.get(i) & exponent) == exponent) {
            return i;
          }
        }
      }
      default -> {
        // integers are always finite
      }
    }
    return -1;
  }

  /** The elements widened to float, row-major. */
  public float[] toFloats() {
    long count = elementCount();
    if (count > MAX_ARRAY_LENGTH) {
      throw new IllegalStateException(
          "tensor " + name + " has " + count + " elements, more than a Java array holds");
    }
    return dtype.toFloats(data, (int) count);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Tensor that
        && name.equals(that.name)
        && dtype == that.dtype
        && Arrays.equals(shape, that.shape)
        && data.equals(that.data);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * name.hashCode() + dtype.hashCode()) + Arrays.hashCode(shape);
  }

  @Override
  public String toString() {
    return name + " " + dtype + Arrays.toString(shape);
  }
}
