package dev.adapterforge.ops.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class TensorDTypeTest {

  @Test
  void decodesHalfPrecisionIncludingSubnormalsInfinityAndNaN() {
    assertEquals(1.0f, TensorDType.halfToFloat((short) 0x3c00));
    assertEquals(-2.0f, TensorDType.halfToFloat((short) 0xc000));
    assertEquals(65504.0f, TensorDType.halfToFloat((short) 0x7bff));
    assertEquals(0x1p-24f, TensorDType.halfToFloat((short) 0x0001));
    assertEquals(0x1p-14f, TensorDType.halfToFloat((short) 0x0400));
    assertEquals(
        Float.floatToIntBits(-0.0f), Float.floatToIntBits(TensorDType.halfToFloat((short) 0x8000)));
    assertEquals(Float.POSITIVE_INFINITY, TensorDType.halfToFloat((short) 0x7c00));
    assertTrue(Float.isNaN(TensorDType.halfToFloat((short) 0x7e00)));
  }

  @Test
  void widensEveryDtypeToFloat() {
    assertArrayEquals(
        new float[] {1.0f, -123.5f},
        decode(TensorDType.BF16, bytes(b -> b.putShort((short) 0x3f80).putShort((short) 0xc2f7))));
    assertArrayEquals(
        new float[] {1.0f, -2.0f},
        decode(TensorDType.F16, bytes(b -> b.putShort((short) 0x3c00).putShort((short) 0xc000))));
    assertArrayEquals(
        new float[] {0.5f, -3.0f},
        decode(TensorDType.F64, bytes(b -> b.putDouble(0.5).putDouble(-3))));
    assertArrayEquals(
        new float[] {1.5f, 7.0f},
        decode(TensorDType.F32, bytes(b -> b.putFloat(1.5f).putFloat(7))));
    assertArrayEquals(
        new float[] {-5.0f, 1L << 40},
        decode(TensorDType.I64, bytes(b -> b.putLong(-5).putLong(1L << 40))));
    assertArrayEquals(
        new float[] {-7.0f, 42.0f}, decode(TensorDType.I32, bytes(b -> b.putInt(-7).putInt(42))));
    assertArrayEquals(
        new float[] {-1.0f, 127.0f},
        decode(TensorDType.I8, bytes(b -> b.put((byte) -1).put((byte) 127))));
    assertArrayEquals(
        new float[] {255.0f, 1.0f},
        decode(TensorDType.U8, bytes(b -> b.put((byte) 0xff).put((byte) 1))));
  }

  @Test
  void tensorRejectsDataThatDoesNotMatchItsShape() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new Tensor("w", TensorDType.F32, new long[] {2, 3}, ByteBuffer.allocate(20)));
    assertTrue(
        e.getMessage().contains("w: F32[2, 3] takes 24 bytes, the data has 20"), e.getMessage());
  }

  @Test
  void findsTheFirstNonFiniteElementOfEveryFloatDtype() {
    assertEquals(1, pair(TensorDType.F32, bytes(b -> b.putFloat(1e38f).putFloat(Float.NaN))).firstNonFinite());
    assertEquals(0, pair(TensorDType.F32, bytes(b -> b.putFloat(Float.NEGATIVE_INFINITY).putFloat(0))).firstNonFinite());
    assertEquals(-1, pair(TensorDType.F32, bytes(b -> b.putFloat(Float.MAX_VALUE).putFloat(-Float.MIN_VALUE))).firstNonFinite());
    assertEquals(1, pair(TensorDType.F64, bytes(b -> b.putDouble(Double.MAX_VALUE).putDouble(Double.NaN))).firstNonFinite());
    assertEquals(1, pair(TensorDType.F16, bytes(b -> b.putShort((short) 0x7bff).putShort((short) 0xfc00))).firstNonFinite());
    assertEquals(-1, pair(TensorDType.F16, bytes(b -> b.putShort((short) 0x7bff).putShort((short) 0x0001))).firstNonFinite());
    assertEquals(0, pair(TensorDType.BF16, bytes(b -> b.putShort((short) 0x7fc0).putShort((short) 0x3f80))).firstNonFinite());
    assertEquals(-1, pair(TensorDType.I32, bytes(b -> b.putInt(0x7fffffff).putInt(-1))).firstNonFinite());
  }

  private static Tensor pair(TensorDType dtype, ByteBuffer data) {
    return new Tensor("t", dtype, new long[] {2}, data);
  }

  private static float[] decode(TensorDType dtype, ByteBuffer data) {
    return pair(dtype, data).toFloats();
  }

  private static ByteBuffer bytes(UnaryOperator<ByteBuffer> writer) {
    return writer.apply(ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN)).flip();
  }
}
