package dev.adapterforge.ops.checkpoint;

import static dev.adapterforge.ops.checkpoint.SafetensorsFormat.DATA_OFFSETS;
import static dev.adapterforge.ops.checkpoint.SafetensorsFormat.DTYPE;
import static dev.adapterforge.ops.checkpoint.SafetensorsFormat.JSON;
import static dev.adapterforge.ops.checkpoint.SafetensorsFormat.LENGTH_PREFIX_BYTES;
import static dev.adapterforge.ops.checkpoint.SafetensorsFormat.MAX_HEADER_LENGTH;
import static dev.adapterforge.ops.checkpoint.SafetensorsFormat.METADATA;
import static dev.adapterforge.ops.checkpoint.SafetensorsFormat.SHAPE;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A safetensors file, read as the format's specification and its Rust reference define it. Opening
 * validates the whole header: dtypes, shapes, offsets inside the buffer, sizes matching shapes, no
 * overlaps. Bytes no tensor covers are tolerated with a warning, although the Rust reference
 * rejects them.
 */
public final class SafetensorsCheckpoint implements Checkpoint {
  private static final Logger LOG = LoggerFactory.getLogger(SafetensorsCheckpoint.class);

  /** One header entry; begin and end are relative to the start of the byte buffer. */
  private record Entry(String name, TensorDType dtype, long[] shape, long begin, long end) {}

  private final Path file;
  private final FileChannel channel;
  private final long bufferStart;
  private final Map<String, Entry> entries;
  private final List<String> names;
  private final Map<String, String> metadata;

  private SafetensorsCheckpoint(
      Path file,
      FileChannel channel,
      long bufferStart,
      Map<String, Entry> entries,
      Map<String, String> metadata) {
    this.file = file;
    this.channel = channel;
    this.bufferStart = bufferStart;
    this.entries = entries;
    this.names = List.copyOf(entries.keySet());
    this.metadata = metadata;
  }

  /**
   * @throws CheckpointFormatException if the file is not a valid safetensors file
   */
  public static SafetensorsCheckpoint open(Path file) throws IOException {
    FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
    try {
      long fileSize = channel.size();
      if (fileSize < LENGTH_PREFIX_BYTES) {
        throw new CheckpointFormatException(
            file,
            fileSize + " bytes, too short for the 8-byte header length of a safetensors file");
      }
      long headerLength = readFully(channel, 0, LENGTH_PREFIX_BYTES).getLong(0);
      if (headerLength < 0 || headerLength > fileSize - LENGTH_PREFIX_BYTES) {
        throw new CheckpointFormatException(
            file,
            String.format(
                "header length %d exceeds the file's %d bytes: not a safetensors file, or"
                    + " truncated",
                headerLength, fileSize));
      }
      if (headerLength > MAX_HEADER_LENGTH) {
        throw new CheckpointFormatException(
            file,
            "header length " + headerLength + " is over the " + MAX_HEADER_LENGTH + "-byte limit");
      }
      JsonNode header =
          parseHeader(file, readFully(channel, LENGTH_PREFIX_BYTES, (int) headerLength));
      long bufferStart = LENGTH_PREFIX_BYTES + headerLength;
      long bufferLength = fileSize - bufferStart;

      Map<String, Entry> entries = new TreeMap<>();
      Map<String, String> metadata = Map.of();
      for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> field = it.next();
        if (field.getKey().equals(METADATA)) {
          metadata = metadata(file, field.getValue());
        } else {
          Entry entry = entry(file, field.getKey(), field.getValue(), bufferLength);
          entries.put(entry.name(), entry);
        }
      }
      checkLayout(file, entries.values(), bufferLength);
      return new SafetensorsCheckpoint(file, channel, bufferStart, entries, metadata);
    } catch (IOException | RuntimeException e) {
      try {
        channel.close();
      } catch (IOException closeFailure) {
        e.addSuppressed(closeFailure);
      }
      throw e;
    }
  }

  private static ByteBuffer readFully(FileChannel channel, long position, int length)
      throws IOException {
    ByteBuffer bytes = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
    while (bytes.hasRemaining()) {
      if (channel.read(bytes, position + bytes.position()) < 0) {
        throw new EOFException();
      }
    }
    return bytes.flip();
  }

  private static JsonNode parseHeader(Path file, ByteBuffer json) throws CheckpointFormatException {
    JsonNode header;
    try {
      header = JSON.readTree(json.array());
    } catch (JsonProcessingException e) {
      throw new CheckpointFormatException(
          file, "malformed JSON header: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new CheckpointFormatException(file, "unreadable JSON header: " + e.getMessage(), e);
    }
    if (header == null || !header.isObject()) {
      throw new CheckpointFormatException(file, "the JSON header is not an object");
    }
    return header;
  }

  private static Map<String, String> metadata(Path file, JsonNode node)
      throws CheckpointFormatException {
    if (!node.isObject()) {
      throw new CheckpointFormatException(file, METADATA + " is not a JSON object");
    }
    Map<String, String> metadata = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      if (!field.getValue().isTextual()) {
        throw new CheckpointFormatException(
            file,
            METADATA + "." + field.getKey() + " is not a string; metadata maps strings to strings");
      }
      metadata.put(field.getKey(), field.getValue().textValue());
    }
    return Map.copyOf(metadata);
  }

  private static Entry entry(Path file, String name, JsonNode node, long bufferLength)
      throws CheckpointFormatException {
    String context = "tensor " + name + ": ";
    if (!node.isObject()) {
      throw new CheckpointFormatException(file, context + "not a JSON object");
    }
    TensorDType dtype = dtype(file, context, node.path(DTYPE));
    long[] shape = nonNegativeLongs(file, context + SHAPE, node.path(SHAPE), -1);
    long[] offsets = nonNegativeLongs(file, context + DATA_OFFSETS, node.path(DATA_OFFSETS), 2);
    long begin = offsets[0];
    long end = offsets[1];
    if (begin > end || end > bufferLength) {
      throw new CheckpointFormatException(
          file,
          String.format(
              "%s%s %s lie outside the %d-byte data buffer",
              context, DATA_OFFSETS, Arrays.toString(offsets), bufferLength));
    }
    TensorSizes.check(file, name, dtype, shape, end - begin);
    return new Entry(name, dtype, shape, begin, end);
  }

  private static TensorDType dtype(Path file, String context, JsonNode node)
      throws CheckpointFormatException {
    if (!node.isTextual()) {
      throw new CheckpointFormatException(file, context + DTYPE + " is missing or not a string");
    }
    try {
      return TensorDType.valueOf(node.textValue());
    } catch (IllegalArgumentException e) {
      throw new CheckpointFormatException(
          file,
          String.format(
              "%sunsupported dtype %s; supported: %s",
              context, node.textValue(), Arrays.toString(TensorDType.values())),
          e);
    }
  }

  /** A JSON array of non-negative integers, of exactly {@code length} elements unless it is -1. */
  private static long[] nonNegativeLongs(Path file, String what, JsonNode node, int length)
      throws CheckpointFormatException {
    if (!node.isArray() || (length >= 0 && node.size() != length)) {
      throw new CheckpointFormatException(
          file,
          String.format(
              "%s is missing or not an array of %sintegers",
              what, length >= 0 ? length + " " : ""));
    }
    long[] values = new long[node.size()];
    for (int i = 0; i < values.length; i++) {
      JsonNode element = node.get(i);
      if (!element.isIntegralNumber() || !element.canConvertToLong() || element.longValue() < 0) {
        throw new CheckpointFormatException(
            file, what + " holds " + element + ", not a non-negative integer");
      }
      values[i] = element.longValue();
    }
    return values;
  }

  /** Rejects overlapping tensors; warns about bytes no tensor covers. */
  private static void checkLayout(Path file, Collection<Entry> entries, long bufferLength)
      throws CheckpointFormatException {
    List<Entry> byOffset = new ArrayList<>(entries);
    byOffset.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
    long covered = 0;
    Entry previous = null;
    long firstGap = -1;
    for (Entry entry : byOffset) {
      if (entry.begin() < covered) {
        throw new CheckpointFormatException(
            file,
            "tensors " + previous.name() + " and " + entry.name() + " overlap in the data buffer");
      }
      if (entry.begin() > covered && firstGap < 0) {
        firstGap = covered;
      }
      covered = entry.end();
      previous = entry;
    }
    if (covered < bufferLength && firstGap < 0) {
      firstGap = covered;
    }
    if (firstGap >= 0) {
      LOG.warn(
          "{}: the data buffer has bytes no tensor covers, the first at offset {}; readable, but"
              + " the Rust reference rejects such a file",
          file,
          firstGap);
    }
  }

  @Override
  public Path file() {
    return file;
  }

  @Override
  public List<String> names() {
    return names;
  }

  @Override
  public long[] shape(String name) {
    return entry(name).shape().clone();
  }

  @Override
  public TensorDType dtype(String name) {
    return entry(name).dtype();
  }

  /** The header's string-to-string {@code __metadata__}, empty when it has none. */
  public Map<String, String> metadata() {
    return metadata;
  }

  @Override
  public Tensor tensor(String name) throws IOException {
    Entry entry = entry(name);
    ByteBuffer bytes =
        channel.map(
            FileChannel.MapMode.READ_ONLY,
            bufferStart + entry.begin(),
            entry.end() - entry.begin());
    return new Tensor(name, entry.dtype(), entry.shape(), bytes);
  }

  private Entry entry(String name) {
    Entry entry = entries.get(name);
    if (entry == null) {
      throw new IllegalArgumentException(file + ": no tensor named " + name);
    }
    return entry;
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }

  @Override
  public String toString() {
    return "safetensors " + file + " (" + entries.size() + " tensors)";
  }
}
