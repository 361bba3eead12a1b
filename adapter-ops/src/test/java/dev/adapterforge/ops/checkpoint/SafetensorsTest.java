package dev.adapterforge.ops.checkpoint;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
  @TempDir Path dir;

  @Test
  void roundTripsEveryDtypeAndTheMetadata() throws IOException {
    List<Tensor> tensors =
        Stream.of(TensorDType.values())
            .map(
                dtype ->
                    new Tensor(
                        "t_" + dtype, dtype, new long[] {2, 3}, counting(6 * dtype.byteSize())))
            .toList();
    Tensor scalar = Tensor.ofFloats("scalar", new long[0], new float[] {3.25f});
    Path file = dir.resolve("all.safetensors");

    SafetensorsWriter.write(
        file,
        Stream.concat(tensors.stream(), Stream.of(scalar)).toList(),
        Map.of("format", "pt", "note", "ünïcode"));

    try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(file)) {
      assertEquals(Map.of("format", "pt", "note", "ünïcode"), checkpoint.metadata());
      assertEquals(tensors.size() + 1, checkpoint.names().size());
      for (Tensor tensor : tensors) {
        assertEquals(tensor, checkpoint.tensor(tensor.name()));
        assertEquals(tensor.dtype(), checkpoint.dtype(tensor.name()));
        assertArrayEquals(new long[] {2, 3}, checkpoint.shape(tensor.name()));
      }
      assertArrayEquals(new float[] {3.25f}, checkpoint.read("scalar"));
    }
  }

  @Test
  void writesTensorsInNameOrderWithAnAlignedSpacePaddedHeader() throws IOException {
    Path file = dir.resolve("order.safetensors");
    SafetensorsWriter.write(
        file,
        List.of(
            Tensor.ofFloats("b", new long[] {1}, new float[] {2}),
            Tensor.ofFloats("a", new long[] {1}, new float[] {1}),
            Tensor.ofFloats("c.weight", new long[] {1}, new float[] {3})),
        Map.of("k", "v"));

    ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    int headerLength = (int) bytes.getLong(0);
    String header = new String(bytes.array(), 8, headerLength, UTF_8);
    assertEquals(0, headerLength % 8);
    assertTrue(
        header.substring(header.lastIndexOf('}') + 1).chars().allMatch(c -> c == ' '), header);
    assertTrue(
        header.indexOf("__metadata__") < header.indexOf("\"a\"")
            && header.indexOf("\"a\"") < header.indexOf("\"b\"")
            && header.indexOf("\"b\"") < header.indexOf("\"c.weight\""),
        header);
    assertTrue(
        header.contains("\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}"), header);
    assertEquals(8 + headerLength + 12, bytes.limit());
    assertEquals(1f, bytes.getFloat(8 + headerLength));
    assertEquals(3f, bytes.getFloat(8 + headerLength + 8));
  }

  @Test
  void replacesAnExistingFileAndLeavesNoTemporaryFiles() throws IOException {
    Path file = dir.resolve("model.safetensors");
    SafetensorsWriter.write(
        file, List.of(Tensor.ofFloats("x", new long[] {1}, new float[] {1})), Map.of());
    SafetensorsWriter.write(
        file, List.of(Tensor.ofFloats("y", new long[] {2}, new float[] {1, 2})), Map.of());

    try (Stream<Path> files = Files.list(dir);
        SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(file)) {
      assertEquals(List.of(file), files.toList());
      assertEquals(List.of("y"), checkpoint.names());
    }
  }

  @Test
  void writerRejectsDuplicateAndReservedNames() {
    Tensor x = Tensor.ofFloats("x", new long[] {1}, new float[] {1});
    Tensor metadata = Tensor.ofFloats("__metadata__", new long[] {1}, new float[] {1});
    Path file = dir.resolve("bad.safetensors");

    assertThrows(
        IllegalArgumentException.class,
        () -> SafetensorsWriter.write(file, List.of(x, x), Map.of()));
    assertThrows(
        IllegalArgumentException.class,
        () -> SafetensorsWriter.write(file, List.of(metadata), Map.of()));
    assertTrue(Files.notExists(file));
  }

  @Test
  void toleratesBytesNoTensorCovers() throws IOException {
    Path file =
        raw(
            "gap",
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}",
            floats(1, 2, 99, 3));

    try (Checkpoint checkpoint = SafetensorsCheckpoint.open(file)) {
      assertArrayEquals(new float[] {1, 2}, checkpoint.read("a"));
      assertArrayEquals(new float[] {3}, checkpoint.read("b"));
    }
  }

  @Test
  void rejectsAFileShorterThanTheLengthPrefix() throws IOException {
    Path file = dir.resolve("tiny.safetensors");
    Files.write(file, new byte[] {1, 2, 3});
    assertRejected(file, "too short for the 8-byte header length");
  }

  @Test
  void rejectsAHeaderLengthBeyondTheFile() throws IOException {
    Path file = dir.resolve("long.safetensors");
    Files.write(file, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).array());
    assertRejected(file, "header length 1000 exceeds the file's 16 bytes");
  }

  @Test
  void rejectsMalformedJson() throws IOException {
    assertRejected(raw("truncated", "{\"a\": {", new byte[0]), "malformed JSON header");
    assertRejected(raw("array", "[]", new byte[0]), "the JSON header is not an object");
    assertRejected(raw("duplicate", "{\"a\":{},\"a\":{}}", new byte[0]), "Duplicate field 'a'");
  }

  @Test
  void rejectsAnUnknownDtype() throws IOException {
    assertRejected(
        raw(
            "dtype",
            "{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[1],\"data_offsets\":[0,1]}}",
            new byte[1]),
        "tensor w: unsupported dtype F8_E4M3");
  }

  @Test
  void rejectsOffsetsOutsideTheBuffer() throws IOException {
    assertRejected(
        raw(
            "range",
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}",
            floats(1, 2)),
        "tensor w: data_offsets [0, 16] lie outside the 8-byte data buffer");
    assertRejected(
        raw(
            "reversed",
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,4]}}",
            floats(1, 2)),
        "tensor w: data_offsets [8, 4] lie outside");
  }

  @Test
  void rejectsOverlappingTensors() throws IOException {
    assertRejected(
        raw(
            "overlap",
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
            floats(1, 2, 3)),
        "tensors a and b overlap");
  }

  @Test
  void rejectsASizeThatDoesNotMatchTheShape() throws IOException {
    assertRejected(
        raw(
            "size",
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}",
            floats(1, 2)),
        "tensor w: 8 bytes stored, but F32[3] takes 12");
    assertRejected(
        raw(
            "shape",
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}",
            floats(1, 2)),
        "tensor w: shape holds -2, not a non-negative integer");
  }

  @Test
  void rejectsMetadataThatIsNotStrings() throws IOException {
    assertRejected(
        raw("metadata", "{\"__metadata__\":{\"epoch\":3}}", new byte[0]),
        "__metadata__.epoch is not a string");
  }

  /** A safetensors file with exactly this header text and data, unpadded. */
  private Path raw(String name, String header, byte[] data) throws IOException {
    byte[] json = header.getBytes(UTF_8);
    Path file = dir.resolve(name + ".safetensors");
    Files.write(
        file,
        ByteBuffer.allocate(8 + json.length + data.length)
            .order(ByteOrder.LITTLE_ENDIAN)
            .putLong(json.length)
            .put(json)
            .put(data)
            .array());
    return file;
  }

  private static void assertRejected(Path file, String expected) {
    CheckpointFormatException e =
        assertThrows(
            CheckpointFormatException.class, () -> SafetensorsCheckpoint.open(file).close());
    assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }

  private static byte[] floats(float... values) {
    ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(values);
    return bytes.array();
  }

  /** Bytes 0, 1, 2, ...: distinct values whatever the dtype reads them as. */
  private static ByteBuffer counting(int length) {
    ByteBuffer bytes = ByteBuffer.allocate(length);
    for (int i = 0; i < length; i++) {
      bytes.put((byte) i);
    }
    return bytes.flip();
  }
}
