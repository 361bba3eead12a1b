package dev.adapterforge.ops.checkpoint;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Just enough of the protobuf wire format to read TensorBundle's records and ONNX models: a cursor
 * over one encoded message. LevelDB's own structures use the same varints, so its table reader
 * reads them through the raw methods. Malformed input raises IllegalArgumentException or
 * BufferUnderflowException, which callers wrap with the file and tensor.
 */
final class ProtoReader {
  private static final int VARINT = 0;
  private static final int FIXED64 = 1;
  private static final int LENGTH_DELIMITED = 2;
  private static final int FIXED32 = 5;

  private final ByteBuffer message;
  private int wireType = -1;

  ProtoReader(ByteBuffer message) {
    this.message = message.duplicate().order(ByteOrder.LITTLE_ENDIAN);
  }

  boolean hasNext() {
    return message.hasRemaining();
  }

  /** Reads the next field's tag and returns its field number; then read or skip its value. */
  int nextField() {
    long tag = rawVarint();
    wireType = (int) (tag & 7);
    int field = (int) (tag >>> 3);
    if (field == 0) {
      throw new IllegalArgumentException("field number 0 in protobuf message");
    }
    return field;
  }

  long varint() {
    expectWireType(VARINT);
    return rawVarint();
  }

  /**
   * The values of the repeated varint field whose tag was just read: one if written unpacked
   * (proto2's default, which ONNX uses), all of them if packed.
   */
  List<Long> repeatedVarint() {
    if (wireType != LENGTH_DELIMITED) {
      return List.of(varint());
    }
    ProtoReader packed = new ProtoReader(lengthDelimited());
    List<Long> values = new ArrayList<>();
    while (packed.hasNext()) {
      values.add(packed.rawVarint());
    }
    return values;
  }

  /** A varint not preceded by a tag. */
  long rawVarint() {
    long value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      byte b = message.get();
      value |= (long) (b & 0x7f) << shift;
      if (b >= 0) {
        return value;
      }
    }
    throw new IllegalArgumentException("varint longer than 10 bytes");
  }

  int fixed32() {
    expectWireType(FIXED32);
    return message.getInt();
  }

  /** A length-delimited value (a nested message, string or bytes) as a view of its bytes. */
  ByteBuffer lengthDelimited() {
    expectWireType(LENGTH_DELIMITED);
    return rawBytes(rawVarint());
  }

  /** The next {@code length} bytes, as a view. */
  ByteBuffer rawBytes(long length) {
    if (length < 0 || length > message.remaining()) {
      throw new IllegalArgumentException(
          "length " + length + " beyond the " + message.remaining() + " bytes left");
    }
    ByteBuffer value = message.slice(message.position(), (int) length);
    message.position(message.position() + (int) length);
    return value;
  }

  /** Skips the value of the field whose tag was just read. */
  void skip() {
    switch (wireType) {
      case VARINT -> rawVarint();
      case FIXED64 -> message.getLong();
      case LENGTH_DELIMITED -> lengthDelimited();
      case FIXED32 -> message.getInt();
      default -> throw new IllegalArgumentException("unsupported protobuf wire type " + wireType);
    }
  }

  private void expectWireType(int expected) {
    if (wireType != expected) {
      throw new IllegalArgumentException(
          "protobuf wire type " + wireType + " where " + expected + " was expected");
    }
  }
}
