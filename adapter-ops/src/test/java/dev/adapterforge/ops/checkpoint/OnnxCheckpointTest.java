package dev.adapterforge.ops.checkpoint;

import static java.nio.ByteOrder.LITTLE_ENDIAN;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxCheckpointTest {
  // onnx.proto's TensorProto.DataType
  private static final int FLOAT = 1;
  private static final int INT64 = 7;
  private static final int BOOL = 9;

  @TempDir Path dir;

  @Test
  void namesMiniLmsAnonymousMatMulWeightsAfterTheirBiasInTorchLayout() throws IOException {
    Path file = dir.resolve("model.onnx");
    try (InputStream in =
        getClass().getClassLoader().getResourceAsStream("all-minilm-l6-v2.onnx")) {
      Files.copy(in, file);
    }
    try (Checkpoint checkpoint = OnnxCheckpoint.open(file)) {
      List<String> names = checkpoint.names();
      assertTrue(names.stream().noneMatch(name -> name.startsWith("onnx::")), names.toString());
      for (int layer = 0; layer < 6; layer++) {
        for (String module :
            List.of(
                "attention.self.query",
                "attention.self.key",
                "attention.self.value",
                "attention.output.dense",
                "intermediate.dense",
                "output.dense")) {
          String weight = "encoder.layer." + layer + "." + module + ".weight";
          assertTrue(names.contains(weight), weight + " in " + names);
        }
      }
      assertArrayEquals(
          new long[] {1536, 384}, checkpoint.shape("encoder.layer.0.intermediate.dense.weight"));
      assertArrayEquals(
          new long[] {30522, 384}, checkpoint.shape("embeddings.word_embeddings.weight"));
      assertEquals(TensorDType.F32, checkpoint.dtype("encoder.layer.5.output.LayerNorm.weight"));
    }
  }

  @Test
  void transposesAMatMulWeightNamedAfterTheBiasItsAddConsumes() throws IOException {
    Proto graph =
        new Proto()
            .message(1, node("MatMul", List.of("x", "onnx::MatMul_7"), List.of("product")))
            .message(1, node("Add", List.of("product", "dense.bias"), List.of("y")))
            .message(
                5, initializer("onnx::MatMul_7", FLOAT, 2, 3).bytes(9, floats(0, 1, 2, 3, 4, 5)))
            // float_data, packed, instead of raw_data
            .message(5, initializer("dense.bias", FLOAT, 3).bytes(4, floats(7, 8, 9)))
            // dims packed, as proto3 writers do
            .message(
                5,
                new Proto()
                    .string(8, "embeddings.weight")
                    .varint(2, FLOAT)
                    .packed(1, 2, 2)
                    .bytes(9, floats(1, 2, 3, 4)))
            // no weight is boolean: skipped, not refused
            .message(5, initializer("mask", BOOL, 1).bytes(9, new byte[] {1}));

    try (Checkpoint checkpoint = OnnxCheckpoint.open(model("linear.onnx", graph))) {
      assertEquals(List.of("dense.bias", "dense.weight", "embeddings.weight"), checkpoint.names());
      assertArrayEquals(new long[] {3, 2}, checkpoint.shape("dense.weight"));
      assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, checkpoint.read("dense.weight"));
      assertArrayEquals(new float[] {7, 8, 9}, checkpoint.read("dense.bias"));
      assertArrayEquals(new long[] {2, 2}, checkpoint.shape("embeddings.weight"));
    }
  }

  @Test
  void refusesMalformedModelsNamingTheFile() throws IOException {
    Proto valid = new Proto().message(5, initializer("w", FLOAT, 2).bytes(9, floats(1, 2)));
    byte[] validBytes = Files.readAllBytes(model("valid.onnx", valid));

    assertRefused(write("garbage.onnx", new byte[] {(byte) 0xff, (byte) 0xff, 1}), "malformed");
    assertRefused(
        write("truncated.onnx", Arrays.copyOf(validBytes, validBytes.length - 3)), "malformed");
    assertRefused(write("no-graph.onnx", new Proto().varint(1, 8).toByteArray()), "no graph");
    assertRefused(
        model("unnamed.onnx", new Proto().message(5, new Proto().varint(2, FLOAT).varint(1, 1))),
        "an initializer has no name");
    assertRefused(
        model("external.onnx", new Proto().message(5, initializer("w", FLOAT, 2).varint(14, 1))),
        "initializer w keeps its data in an external file");
    assertRefused(
        model(
            "short.onnx",
            new Proto().message(5, initializer("w", FLOAT, 2, 3).bytes(9, floats(1)))),
        "tensor w: 4 bytes stored, but F32[2, 3] takes 24");
    assertRefused(
        model(
            "int64-data.onnx",
            new Proto().message(5, initializer("ids", INT64, 2).packed(7, 1, 2))),
        "initializer ids (I64) has its values neither in raw_data");
  }

  private static void assertRefused(Path file, String problem) {
    CheckpointFormatException e =
        assertThrows(CheckpointFormatException.class, () -> OnnxCheckpoint.open(file));
    assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
    assertTrue(e.getMessage().contains(problem), e.getMessage());
  }

  /** A ModelProto (ir_version 8) around {@code graph}. */
  private Path model(String fileName, Proto graph) throws IOException {
    return write(fileName, new Proto().varint(1, 8).message(7, graph).toByteArray());
  }

  private Path write(String fileName, byte[] bytes) throws IOException {
    return Files.write(dir.resolve(fileName), bytes);
  }

  /** A TensorProto's name, data type and dims, each dim as its own field (proto2, unpacked). */
  private static Proto initializer(String name, int dataType, long... dims) {
    Proto tensor = new Proto().string(8, name).varint(2, dataType);
    Arrays.stream(dims).forEach(dim -> tensor.varint(1, dim));
    return tensor;
  }

  private static Proto node(String opType, List<String> inputs, List<String> outputs) {
    Proto node = new Proto().string(4, opType);
    inputs.forEach(input -> node.string(1, input));
    outputs.forEach(output -> node.string(2, output));
    return node;
  }

  private static byte[] floats(float... values) {
    ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES).order(LITTLE_ENDIAN);
    for (float value : values) {
      bytes.putFloat(value);
    }
    return bytes.array();
  }

  /** Protobuf wire format, written field by field. */
  private static final class Proto {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Proto varint(int field, long value) {
      raw((long) field << 3);
      raw(value);
      return this;
    }

    Proto bytes(int field, byte[] value) {
      raw((long) field << 3 | 2);
      raw(value.length);
      out.writeBytes(value);
      return this;
    }

    Proto string(int field, String value) {
      return bytes(field, value.getBytes(UTF_8));
    }

    Proto message(int field, Proto message) {
      return bytes(field, message.toByteArray());
    }

    Proto packed(int field, long... values) {
      Proto packed = new Proto();
      Arrays.stream(values).forEach(packed::raw);
      return bytes(field, packed.toByteArray());
    }

    byte[] toByteArray() {
      return out.toByteArray();
    }

    private void raw(long value) {
      while ((value & ~0x7fL) != 0) {
        out.write((int) (value & 0x7f) | 0x80);
        value >>>= 7;
      }
      out.write((int) value);
    }
  }
}
