package dev.adapterforge.ops.checkpoint;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TensorFlow TensorBundle (the {@code variables/} of a TF1 SavedModel or a tf.train checkpoint),
 * read without TensorFlow. The {@code .index} file is a LevelDB table: the empty key holds a
 * BundleHeaderProto, every other key is a tensor name holding a BundleEntryProto (dtype, shape,
 * shard, offset, size, CRC-32C). Data shards {@code <prefix>.data-NNNNN-of-MMMMM} hold the raw
 * little-endian bytes. Each tensor's CRC-32C is checked every time it is read.
 */
public final class TensorBundleCheckpoint implements Checkpoint {
  private static final Logger LOG = LoggerFactory.getLogger(TensorBundleCheckpoint.class);
  private static final String INDEX_SUFFIX = ".index";

  /** One BundleEntryProto, resolved to its shard; all fields default to 0 when absent. */
  private record BundleEntry(
      TensorDType dtype, long[] shape, int shard, long offset, long size, int crc32c) {}

  private final Path indexFile;
  private final List<Path> dataFiles;
  private final List<FileChannel> shards;
  private final Map<String, BundleEntry> entries;
  private final List<String> names;

  private TensorBundleCheckpoint(
      Path indexFile,
      List<Path> dataFiles,
      List<FileChannel> shards,
      Map<String, BundleEntry> entries) {
    this.indexFile = indexFile;
    this.dataFiles = dataFiles;
    this.shards = shards;
    this.entries = entries;
    this.names = entries.keySet().stream().sorted().toList();
  }

  /**
   * Opens the bundle whose index is {@code indexFile} (e.g. {@code variables/variables.index}) and
   * checks that every tensor's bytes lie inside its data shard.
   *
   * @throws CheckpointFormatException if the index is corrupt or a shard is missing or too short
   */
  public static TensorBundleCheckpoint open(Path indexFile) throws IOException {
    String fileName = indexFile.getFileName().toString();
    if (!fileName.endsWith(INDEX_SUFFIX)) {
      throw new IllegalArgumentException(
          indexFile + ": a TensorBundle is opened from its .index file");
    }
    List<LevelDbTable.Entry> records = LevelDbTable.readEntries(indexFile);
    if (records.isEmpty() || records.get(0).key().length != 0) {
      throw new CheckpointFormatException(indexFile, "no BundleHeaderProto under the empty key");
    }
    int shardCount = shardCount(indexFile, records.get(0).value());
    if (shardCount < 1 && records.size() > 1) {
      throw new CheckpointFormatException(
          indexFile, "header declares no data shards but has tensors");
    }

    String prefix = fileName.substring(0, fileName.length() - INDEX_SUFFIX.length());
    List<Path> dataFiles = new ArrayList<>();
    for (int shard = 0; shard < shardCount; shard++) {
      dataFiles.add(
          indexFile.resolveSibling(
              String.format("%s.data-%05d-of-%05d", prefix, shard, shardCount)));
    }
    List<FileChannel> shards = new ArrayList<>();
    try {
      for (Path dataFile : dataFiles) {
        shards.add(openDataFile(indexFile, dataFile));
      }
      Map<String, BundleEntry> entries = new LinkedHashMap<>();
      for (LevelDbTable.Entry record : records.subList(1, records.size())) {
        String name = new String(record.key(), UTF_8);
        BundleEntry entry = bundleEntry(indexFile, name, record.value());
        if (entry != null) {
          checkInsideShard(indexFile, name, entry, dataFiles, shards);
          entries.put(name, entry);
        }
      }
      LOG.debug("{}: {} tensors in {} data shard(s)", indexFile, entries.size(), shardCount);
      return new TensorBundleCheckpoint(
          indexFile, List.copyOf(dataFiles), List.copyOf(shards), entries);
    } catch (IOException | RuntimeException e) {
      IOException closeFailure = closeAll(shards);
      if (closeFailure != null) {
        e.addSuppressed(closeFailure);
      }
      throw e;
    }
  }

  /** BundleHeaderProto: num_shards = 1, endianness = 2 (0 little, 1 big), version = 3. */
  private static int shardCount(Path indexFile, ByteBuffer header)
      throws CheckpointFormatException {
    try {
      ProtoReader reader = new ProtoReader(header);
      int shardCount = 0;
      while (reader.hasNext()) {
        switch (reader.nextField()) {
          case 1 -> shardCount = (int) reader.varint();
          case 2 -> {
            if (reader.varint() != 0) {
              throw new CheckpointFormatException(indexFile, "big-endian bundle, not supported");
            }
          }
          default -> reader.skip();
        }
      }
      return shardCount;
    } catch (IllegalArgumentException | BufferUnderflowException e) {
      throw new CheckpointFormatException(
          indexFile, "corrupt BundleHeaderProto: " + e.getMessage(), e);
    }
  }

  /**
   * BundleEntryProto: dtype = 1, shape = 2, shard_id = 3, offset = 4, size = 5, crc32c = 6
   * (fixed32), slices = 7. Returns null, with a warning, for a non-numeric tensor (e.g. a string),
   * which no model weight is.
   */
  private static BundleEntry bundleEntry(Path indexFile, String name, ByteBuffer value)
      throws CheckpointFormatException {
    int tfDtype = 0;
    long[] shape = new long[0];
    int shard = 0;
    long offset = 0;
    long size = 0;
    int crc32c = 0;
    try {
      ProtoReader reader = new ProtoReader(value);
      while (reader.hasNext()) {
        switch (reader.nextField()) {
          case 1 -> tfDtype = (int) reader.varint();
          case 2 -> shape = shape(reader.lengthDelimited());
          case 3 -> shard = (int) reader.varint();
          case 4 -> offset = reader.varint();
          case 5 -> size = reader.varint();
          case 6 -> crc32c = reader.fixed32();
          case 7 ->
              throw new IllegalArgumentException("a partitioned (sliced) variable, not supported");
          default -> reader.skip();
        }
      }
    } catch (IllegalArgumentException | BufferUnderflowException e) {
      throw new CheckpointFormatException(indexFile, "tensor " + name + ": " + e.getMessage(), e);
    }
    TensorDType dtype = fromTensorFlow(tfDtype);
    if (dtype == null) {
      LOG.warn(
          "{}: skipping tensor {}: TensorFlow dtype {} is not numeric", indexFile, name, tfDtype);
      return null;
    }
    return new BundleEntry(dtype, shape, shard, offset, size, crc32c);
  }

  /** TensorShapeProto: dim = 2 (each Dim: size = 1, name = 2), unknown_rank = 3. */
  private static long[] shape(ByteBuffer message) {
    ProtoReader reader = new ProtoReader(message);
    List<Long> dims = new ArrayList<>();
    while (reader.hasNext()) {
      switch (reader.nextField()) {
        case 2 -> {
          ProtoReader dim = new ProtoReader(reader.lengthDelimited());
          long size = 0;
          while (dim.hasNext()) {
            if (dim.nextField() == 1) {
              size = dim.varint();
            } else {
              dim.skip();
            }
          }
          dims.add(size);
        }
        case 3 -> {
          if (reader.varint() != 0) {
            throw new IllegalArgumentException("shape of unknown rank");
          }
        }
        default -> reader.skip();
      }
    }
    return dims.stream().mapToLong(Long::longValue).toArray();
  }

  /** TensorFlow's DataType enum (types.proto) for the types a weight can have. */
  private static TensorDType fromTensorFlow(int dataType) {
    return switch (dataType) {
      case 1 -> TensorDType.F32;
      case 2 -> TensorDType.F64;
      case 3 -> TensorDType.I32;
      case 4 -> TensorDType.U8;
      case 6 -> TensorDType.I8;
      case 9 -> TensorDType.I64;
      case 14 -> TensorDType.BF16;
      case 19 -> TensorDType.F16;
      default -> null;
    };
  }

  private static FileChannel openDataFile(Path indexFile, Path dataFile) throws IOException {
    try {
      return FileChannel.open(dataFile, StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      throw new CheckpointFormatException(
          dataFile, "missing: " + indexFile + " needs this data shard", e);
    }
  }

  private static void checkInsideShard(
      Path indexFile,
      String name,
      BundleEntry entry,
      List<Path> dataFiles,
      List<FileChannel> shards)
      throws IOException {
    if (entry.shard() < 0 || entry.shard() >= shards.size()) {
      throw new CheckpointFormatException(
          indexFile, "tensor " + name + ": shard " + entry.shard() + " of " + shards.size());
    }
    TensorSizes.check(indexFile, name, entry.dtype(), entry.shape(), entry.size());
    long shardSize = shards.get(entry.shard()).size();
    if (entry.offset() < 0 || entry.offset() > shardSize - entry.size()) {
      throw new CheckpointFormatException(
          dataFiles.get(entry.shard()),
          String.format(
              "tensor %s: bytes [%d, %d) lie beyond the end of the file (%d bytes); it is"
                  + " truncated or belongs to another index than %s",
              name, entry.offset(), entry.offset() + entry.size(), shardSize, indexFile));
    }
  }

  @Override
  public Path file() {
    return indexFile;
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

  /**
   * @throws CheckpointFormatException if the bytes fail the CRC-32C the index stores for them
   */
  @Override
  public Tensor tensor(String name) throws IOException {
    BundleEntry entry = entry(name);
    ByteBuffer bytes =
        shards.get(entry.shard()).map(FileChannel.MapMode.READ_ONLY, entry.offset(), entry.size());
    int actual = MaskedCrc32c.of(bytes);
    if (actual != entry.crc32c()) {
      throw new CheckpointFormatException(
          dataFiles.get(entry.shard()),
          String.format(
              "tensor %s: masked CRC-32C is %08x, %s says %08x; the data is corrupt or belongs to"
                  + " another index",
              name, actual, indexFile.getFileName(), entry.crc32c()));
    }
    return new Tensor(name, entry.dtype(), entry.shape(), bytes);
  }

  private BundleEntry entry(String name) {
    BundleEntry entry = entries.get(name);
    if (entry == null) {
      throw new IllegalArgumentException(indexFile + ": no tensor named " + name);
    }
    return entry;
  }

  @Override
  public void close() throws IOException {
    IOException failure = closeAll(shards);
    if (failure != null) {
      throw failure;
    }
  }

  /** Closes every channel; returns the first failure, later ones suppressed in it, or null. */
  private static IOException closeAll(List<FileChannel> channels) {
    IOException failure = null;
    for (FileChannel channel : channels) {
      try {
        channel.close();
      } catch (IOException e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    return failure;
  }

  @Override
  public String toString() {
    return "TensorBundle " + indexFile + " (" + entries.size() + " tensors)";
  }
}
