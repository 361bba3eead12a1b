package dev.adapterforge.ops.checkpoint;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * LevelDB's and TensorFlow's masked CRC-32C: rotated and offset so that the CRC of data which
 * itself contains CRCs does not degenerate.
 */
final class MaskedCrc32c {
  private static final int MASK_DELTA = 0xa282ead8;

  private MaskedCrc32c() {}

  /**
   * The masked CRC-32C of the regions' remaining bytes, taken in order; positions are untouched.
   */
  static int of(ByteBuffer... regions) {
    CRC32C crc = new CRC32C();
    for (ByteBuffer region : regions) {
      crc.update(region.duplicate());
    }
    int value = (int) crc.getValue();
    return ((value >>> 15) | (value << 17)) + MASK_DELTA;
  }
}
