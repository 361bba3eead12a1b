package dev.adapterforge.prep;

/**
 * Strict UTF-8 validation (RFC 3629) of corpus bytes before they become text: decoders replace an
 * invalid sequence with U+FFFD and carry on, so without this check broken bytes would become training
 * text. Overlong forms, encoded surrogates (CESU-8's {@code ED A0 80}) and code points past U+10FFFF
 * are invalid.
 */
public final class Utf8 {
  private Utf8() {}

  /** The offset of the first byte of {@code bytes[0, length)} that is not valid UTF-8, or -1. */
  public static int firstInvalidByte(byte[] bytes, int length) {
    int i = 0;
    while (i < length) {
      int lead = bytes[i] & 0xff;
      if (lead < 0x80) {
        i++;
        continue;
      }
      int continuations;
      int min;
      int max = 0xbf;
      if (lead >= 0xc2 && lead <= 0xdf) {
        continuations = 1;
        min = 0x80;
      } else if (lead >= 0xe0 && lead <= 0xef) {
        continuations = 2;
        min = lead == 0xe0 ? 0xa0 : 0x80; // E0 80..9F would be overlong
        max = lead == 0xed ? 0x9f : 0xbf; // ED A0..BF would be a surrogate
      } else if (lead >= 0xf0 && lead <= 0xf4) {
        continuations = 3;
        min = lead == 0xf0 ? 0x90 : 0x80; // F0 80..8F would be overlong
        max = lead == 0xf4 ? 0x8f : 0xbf; // F4 90.. would pass U+10FFFF
      } else {
        return i; // a continuation byte without a lead, C0/C1 (overlong) or F5..FF
      }
      if (i + continuations >= length) {
        return i; // cut short by the end
      }
      int second = bytes[i + 1] & 0xff;
      if (second < min || second > max) {
        return i;
      }
      for (int k = 2; k <= continuations; k++) {
        if ((bytes[i + k] & 0xc0) != 0x80) {
          return i;
        }
      }
      i += continuations + 1;
    }
    return -1;
  }

  /** {@code "invalid UTF-8 at byte N"} for the first invalid byte, or null if every byte is valid. */
  public static String problem(byte[] bytes, int length) {
    int at = firstInvalidByte(bytes, length);
    return at < 0 ? null : "invalid UTF-8 at byte " + at;
  }
}
