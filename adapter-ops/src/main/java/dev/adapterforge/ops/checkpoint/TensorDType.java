package dev.adapterforge.ops.checkpoint;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Element types a checkpoint tensor may have, named as safetensors names them. Every type widens to
 * float, the precision the encoder computes in.
 */
public enum TensorDType {
  F64(8),
  F32(4),
  F16(2),
  BF16(2),
  I64(8),
  I32(4),
  I8(1),
  U8(1);

  private final int byteSize;

  TensorDType(int byteSize) {
    this.byteSize = byteSize;
  }

  /** Bytes one element takes. */
  public int byteSize() {
    return byteSize;
  }

  /** Decodes {@code count} little-endian elements from the start of {@code data} into floats. */
  float[] toFloats(ByteBuffer data, int count) {
    ByteBuffer in = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    float[] out = new float[count];
    switch (this) {
      case F32 -> in.asFloatBuffer().get(out);
      case F64 -> {
        var doubles = in.asDoubleBuffer();
        for (int i = 0; i < count; i++) {
          out[i] = (float) doubles.get(i);
        }
      }
      case F16 -> {
        var halves = in.asShortBuffer();
        for (int i = 0; i < count; i++) {
          out[i] = halfToFloat(halves.get(i));
        }
      }
      case BF16 -> {
        // bfloat16 is the upper half of a float32
        var halves = in.asShortBuffer();
        for (int i = 0; i < count; i++) {
          out[i] = Float.intBitsToFloat((halves.get(i) & 0xffff) << 16);
        }
      }
      case I64 -> {
        var longs = in.asLongBuffer();
        for (int i = 0; i < count; i++) {
          out[i] = longs.get(i);
        }
      }
      case I32 -> {
        var ints = in.asIntBuffer();
        for (int i = 0; i < count; i++) {
          out[i] = ints.get(i);
        }
      }
      case I8 -> {
        for (int i = 0; i < count; i++) {
          out[i] = in.get(i);
        }
      }
      case U8 -> {
        for (int i = 0; i < count; i++) {
          out[i] = in.get(i) & 0xff;
        }
      }
    }
    return out;
  }

  /** IEEE 754 binary16 to float32; Java 17 has no Float.float16ToFloat (added in Java 20). */
  static float halfToFloat(short half) {
    int sign = (half & 0x8000) << 16;
    int exponent = (half >>> 10) & 0x1f;
    int mantissa = half & 0x3ff;
    if (exponent == 0x1f) { // infinity or NaN, NaN payload kept
      return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
    }
    if (exponent == 0) { // zero or subnormal: mantissa * 2^-24, exact in float32
      float magnitude = mantissa * 0x1p-24f;
      return sign == 0 ? magnitude : -magnitude;
    }
    return Float.intBitsToFloat(sign | ((exponent + 127 - 15) << 23) | (mantissa << 13));
  }
}
