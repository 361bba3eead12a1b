package dev.adapterforge.ops.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adapterforge.ops.model.BaseModel;
import dev.adapterforge.ops.model.TestModels;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The TensorBundle reader and the safetensors writer on mBERT's real weights. */
class MbertCheckpointTest {
  private static final Logger LOG = LoggerFactory.getLogger(MbertCheckpointTest.class);
  private static final String WORD_EMBEDDINGS = "module/bert/embeddings/word_embeddings";
  private static final String QUERY_KERNEL =
      "module/bert/encoder/layer_0/attention/self/query/kernel";

  private static BaseModel mbert;
  private static Checkpoint checkpoint;

  @TempDir Path dir;

  @BeforeAll
  static void open() throws IOException {
    mbert = TestModels.mbert();
    checkpoint = mbert.openCheckpoint();
  }

  @AfterAll
  static void close() throws IOException {
    checkpoint.close();
  }

  @Test
  void readsAll204Float32TensorsAndTheirChecksums() throws IOException {
    long start = System.nanoTime();
    long values = 0;
    long nonFinite = 0;
    for (String name : checkpoint.names()) {
      assertTrue(name.startsWith("module/"), name);
      assertEquals(TensorDType.F32, checkpoint.dtype(name), name);
      float[] tensor = checkpoint.read(name); // checks the tensor's CRC-32C
      assertEquals(Tensor.elementCount(checkpoint.shape(name)), tensor.length, name);
      values += tensor.length;
      for (float value : tensor) {
        if (!Float.isFinite(value)) {
          nonFinite++;
        }
      }
    }
    LOG.info(
        "Read and checked {} mBERT values in {} ms",
        values,
        (System.nanoTime() - start) / 1_000_000);

    assertEquals(204, checkpoint.names().size());
    assertEquals(178_565_115L, values);
    assertEquals(0, nonFinite);
  }

  @Test
  void hasBertShapesWithDenseKernelsStoredInputByOutput() {
    assertArrayEquals(new long[] {119_547, 768}, checkpoint.shape(WORD_EMBEDDINGS));
    assertArrayEquals(
        new long[] {512, 768}, checkpoint.shape("module/bert/embeddings/position_embeddings"));
    assertArrayEquals(
        new long[] {2, 768}, checkpoint.shape("module/bert/embeddings/token_type_embeddings"));
    assertArrayEquals(new long[] {768, 768}, checkpoint.shape(QUERY_KERNEL));
    assertArrayEquals(
        new long[] {768, 3072},
        checkpoint.shape("module/bert/encoder/layer_11/intermediate/dense/kernel"));
    assertArrayEquals(new long[] {119_547}, checkpoint.shape("module/cls/predictions/output_bias"));
    assertArrayEquals(new long[] {768}, checkpoint.shape("module/bert/pooler/dense/bias"));
  }

  @Test
  void namesAnUnknownTensorAndTheFile() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> checkpoint.tensor("bert/embeddings"));
    assertTrue(
        e.getMessage().contains(mbert.checkpointFile() + ": no tensor named bert/embeddings"));
  }

  @Test
  void rejectsDataThatFailsItsChecksum() throws IOException {
    Path index = copyIndex();
    Path data = dir.resolve("variables.data-00000-of-00001");
    try (RandomAccessFile zeros = new RandomAccessFile(data.toFile(), "rw")) {
      zeros.setLength(
          Files.size(mbert.directory().resolve("variables/variables.data-00000-of-00001")));
    }

    try (Checkpoint corrupt = TensorBundleCheckpoint.open(index)) {
      CheckpointFormatException e =
          assertThrows(CheckpointFormatException.class, () -> corrupt.tensor(QUERY_KERNEL));
      assertTrue(
          e.getMessage().startsWith(data + ": tensor " + QUERY_KERNEL + ": masked CRC-32C"),
          e.getMessage());
    }
  }

  @Test
  void rejectsATruncatedOrMissingDataShard() throws IOException {
    Path index = copyIndex();
    Path data = dir.resolve("variables.data-00000-of-00001");

    CheckpointFormatException missing =
        assertThrows(CheckpointFormatException.class, () -> TensorBundleCheckpoint.open(index));
    assertTrue(missing.getMessage().startsWith(data + ": missing"), missing.getMessage());

    Files.write(data, new byte[1000]);
    CheckpointFormatException truncated =
        assertThrows(CheckpointFormatException.class, () -> TensorBundleCheckpoint.open(index));
    assertTrue(
        truncated.getMessage().startsWith(data + ": tensor module/"), truncated.getMessage());
    assertTrue(truncated.getMessage().contains("beyond the end of the file (1000 bytes)"));
  }

  @Test
  void rejectsACorruptIndex() throws IOException {
    Path index = copyIndex();
    byte[] bytes = Files.readAllBytes(index);

    bytes[100] ^= 1;
    Files.write(index, bytes);
    assertIndexRejected(index, "block at 0 fails its CRC-32C check");

    bytes[100] ^= 1;
    bytes[bytes.length - 1] ^= 1;
    Files.write(index, bytes);
    assertIndexRejected(index, "not an SSTable");
  }

  @Test
  void roundTripsRealTensorsThroughSafetensors() throws IOException {
    List<Tensor> tensors = new ArrayList<>();
    for (String name :
        List.of(
            QUERY_KERNEL,
            "module/bert/embeddings/LayerNorm/gamma",
            "module/bert/embeddings/position_embeddings",
            "module/cls/predictions/output_bias")) {
      tensors.add(checkpoint.tensor(name));
    }
    Path file = dir.resolve("model.safetensors");

    SafetensorsWriter.write(
        file, tensors, Map.of("format", "pt", "source", mbert.checkpointSha256()));

    try (Checkpoint copy = CheckpointKind.SAFETENSORS.open(file)) {
      assertEquals(tensors.stream().map(Tensor::name).sorted().toList(), copy.names());
      for (Tensor tensor : tensors) {
        assertEquals(tensor, copy.tensor(tensor.name()));
        assertArrayEquals(checkpoint.read(tensor.name()), copy.read(tensor.name()));
      }
    }
  }

  private Path copyIndex() throws IOException {
    return Files.copy(mbert.checkpointFile(), dir.resolve("variables.index"));
  }

  private static void assertIndexRejected(Path index, String expected) {
    CheckpointFormatException e =
        assertThrows(CheckpointFormatException.class, () -> TensorBundleCheckpoint.open(index));
    assertTrue(e.getMessage().startsWith(index + ": "), e.getMessage());
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }
}
