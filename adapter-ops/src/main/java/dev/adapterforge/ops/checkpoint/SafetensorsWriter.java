package dev.adapterforge.ops.checkpoint;

import static dev.adapterforge.ops.checkpoint.SafetensorsFormat.DATA_OFFSETS;
import static dev.adapterforge.ops.checkpoint.SafetensorsFormat.DTYPE;
import static dev.adapterforge.ops.checkpoint.SafetensorsFormat.HEADER_ALIGNMENT;
import static dev.adapterforge.ops.checkpoint.SafetensorsFormat.JSON;
import static dev.adapterforge.ops.checkpoint.SafetensorsFormat.LENGTH_PREFIX_BYTES;
import static dev.adapterforge.ops.checkpoint.SafetensorsFormat.METADATA;
import static dev.adapterforge.ops.checkpoint.SafetensorsFormat.SHAPE;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Writes safetensors files that Hugging Face's readers load: tensors in name order, header padded
 * with spaces so the data starts 8-byte aligned, as the Rust reference writes it.
 */
public final class SafetensorsWriter {
  private SafetensorsWriter() {}

  /**
   * Writes {@code tensors} and {@code metadata} to {@code file} atomically: into a sibling
   * temporary file, flushed to disk, then renamed over {@code file}, so readers never see half a
   * file.
   *
   * @throws IllegalArgumentException if two tensors share a name or one is named {@code
   *     __metadata__}
   */
  public static void write(Path file, Collection<Tensor> tensors, Map<String, String> metadata)
      throws IOException {
    List<Tensor> sorted = tensors.stream().sorted(Comparator.comparing(Tensor::name)).toList();
    for (int i = 0; i < sorted.size(); i++) {
      String name = sorted.get(i).name();
      if (name.equals(METADATA) || (i > 0 && name.equals(sorted.get(i - 1).name()))) {
        throw new IllegalArgumentException(file + ": duplicate or reserved tensor name " + name);
      }
    }
    ByteBuffer header = header(sorted, metadata);

    Path target = file.toAbsolutePath();
    Path partial = target.resolveSibling(target.getFileName() + ".partial-" + UUID.randomUUID());
    try {
      try (FileChannel out =
          FileChannel.open(partial, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        writeFully(out, header);
        for (Tensor tensor : sorted) {
          writeFully(out, tensor.data());
        }
        out.force(true);
      }
      Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(partial);
      throw e;
    }
  }

  /** The length prefix and the padded JSON header, ready to write. */
  private static ByteBuffer header(List<Tensor> sorted, Map<String, String> metadata)
      throws IOException {
    ObjectNode json = JSON.createObjectNode();
    if (!metadata.isEmpty()) {
      ObjectNode metadataNode = json.putObject(METADATA);
      new TreeMap<>(metadata).forEach(metadataNode::put);
    }
    long offset = 0;
    for (Tensor tensor : sorted) {
      ObjectNode entry = json.putObject(tensor.name());
      entry.put(DTYPE, tensor.dtype().name());
      ArrayNode shape = entry.putArray(SHAPE);
      for (long dim : tensor.shape()) {
        shape.add(dim);
      }
      long end = offset + tensor.data().remaining();
      entry.putArray(DATA_OFFSETS).add(offset).add(end);
      offset = end;
    }
    byte[] text = JSON.writeValueAsBytes(json);
    int padding = (HEADER_ALIGNMENT - text.length % HEADER_ALIGNMENT) % HEADER_ALIGNMENT;
    ByteBuffer header =
        ByteBuffer.allocate(LENGTH_PREFIX_BYTES + text.length + padding)
            .order(ByteOrder.LITTLE_ENDIAN)
            .putLong(text.length + padding)
            .put(text);
    while (header.hasRemaining()) {
      header.put((byte) ' ');
    }
    return header.flip();
  }

  private static void writeFully(FileChannel out, ByteBuffer bytes) throws IOException {
    while (bytes.hasRemaining()) {
      out.write(bytes);
    }
  }
}
