package dev.adapterforge.ops.checkpoint;

import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads every entry of an uncompressed LevelDB-format table (an SSTable), the format of a
 * TensorBundle's {@code .index} file: data blocks of prefix-compressed keys, an index block
 * pointing at them, and a fixed-size footer. The whole file is read at once; a bundle's index is
 * kilobytes.
 */
final class LevelDbTable {
  private static final long MAGIC = 0xdb4775248b80fb57L;

  /** Two block handles padded to 40 bytes, then the 8-byte magic. */
  private static final int FOOTER_LENGTH = 48;

  /** After each block: a compression-type byte and the block's masked CRC-32C. */
  private static final int BLOCK_TRAILER_LENGTH = 5;

  private static final byte NO_COMPRESSION = 0;

  /** One key and its value, a view into the table's bytes. */
  record Entry(byte[] key, ByteBuffer value) {}

  private final Path file;
  private final ByteBuffer table;

  private LevelDbTable(Path file, ByteBuffer table) {
    this.file = file;
    this.table = table;
  }

  /** Every entry of every data block, in key order. */
  static List<Entry> readEntries(Path file) throws IOException {
    ByteBuffer table = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    LevelDbTable reader = new LevelDbTable(file, table);
    try {
      return reader.entries();
    } catch (IllegalArgumentException | IndexOutOfBoundsException | BufferUnderflowException e) {
      throw new CheckpointFormatException(file, "corrupt SSTable: " + e.getMessage(), e);
    }
  }

  private List<Entry> entries() throws CheckpointFormatException {
    if (table.limit() < FOOTER_LENGTH) {
      throw new CheckpointFormatException(
          file, table.limit() + " bytes, shorter than an SSTable footer (" + FOOTER_LENGTH + ")");
    }
    int footer = table.limit() - FOOTER_LENGTH;
    if (table.getLong(table.limit() - Long.BYTES) != MAGIC) {
      throw new CheckpointFormatException(
          file, "not an SSTable (no LevelDB magic number at its end)");
    }
    ProtoReader handles = new ProtoReader(table.slice(footer, FOOTER_LENGTH - Long.BYTES));
    blockAt(handles); // the metaindex: TensorBundle writes no filters or stats into it
    ByteBuffer indexBlock = blockAt(handles);

    List<Entry> entries = new ArrayList<>();
    for (Entry dataBlockPointer : blockEntries(indexBlock)) {
      entries.addAll(blockEntries(blockAt(new ProtoReader(dataBlockPointer.value()))));
    }
    return entries;
  }

  /** Reads a BlockHandle (two varints: offset, size) and returns that block's contents, checked. */
  private ByteBuffer blockAt(ProtoReader handle) throws CheckpointFormatException {
    long offset = handle.rawVarint();
    long size = handle.rawVarint();
    if (offset < 0
        || size < 0
        || offset > table.limit()
        || size > table.limit() - BLOCK_TRAILER_LENGTH - offset) {
      throw new CheckpointFormatException(
          file, "block at " + offset + " of " + size + " bytes runs past the end of the file");
    }
    ByteBuffer contents = table.slice((int) offset, (int) size);
    ByteBuffer compression = table.slice((int) (offset + size), 1);
    if (compression.get(0) != NO_COMPRESSION) {
      throw new CheckpointFormatException(
          file,
          String.format(
              "block at %d is compressed (type %d); only uncompressed tables, as TensorFlow"
                  + " writes them, are supported",
              offset, compression.get(0)));
    }
    int stored = table.getInt((int) (offset + size + 1));
    if (stored != MaskedCrc32c.of(contents, compression)) {
      throw new CheckpointFormatException(file, "block at " + offset + " fails its CRC-32C check");
    }
    return contents;
  }

  /**
   * A block's entries. Each key shares a prefix with the one before it: entry = varint shared
   * length, varint unshared length, varint value length, unshared key bytes, value. Restart points
   * (where shared is 0) trail the entries, followed by their count.
   */
  private static List<Entry> blockEntries(ByteBuffer block) {
    ByteBuffer in = block.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    int restarts = in.getInt(in.limit() - Integer.BYTES);
    long entriesEnd = in.limit() - Integer.BYTES - (long) restarts * Integer.BYTES;
    if (restarts < 1 || entriesEnd < 0) {
      throw new IllegalArgumentException("block with an impossible restart count " + restarts);
    }
    in.limit((int) entriesEnd);
    ProtoReader reader = new ProtoReader(in);
    List<Entry> entries = new ArrayList<>();
    byte[] previousKey = new byte[0];
    while (reader.hasNext()) {
      long shared = reader.rawVarint();
      long unshared = reader.rawVarint();
      long valueLength = reader.rawVarint();
      if (shared < 0 || shared > previousKey.length) {
        throw new IllegalArgumentException(
            "key shares " + shared + " bytes with a previous key of " + previousKey.length);
      }
      ByteBuffer suffix = reader.rawBytes(unshared);
      byte[] key = Arrays.copyOf(previousKey, (int) shared + suffix.remaining());
      suffix.get(key, (int) shared, suffix.remaining());
      entries.add(new Entry(key, reader.rawBytes(valueLength)));
      previousKey = key;
    }
    return entries;
  }
}
