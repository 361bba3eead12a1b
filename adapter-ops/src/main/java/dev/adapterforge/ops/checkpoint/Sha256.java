package dev.adapterforge.ops.checkpoint;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256, the checksum of every file AdapterForge identifies by content, in lower-case hex as sha256sum prints it. */
public final class Sha256 {
  private Sha256() {}

  public static MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  public static String of(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return of(in);
    }
  }

  /** The stream's checksum, read to its end (not closed). */
  public static String of(InputStream in) throws IOException {
    MessageDigest digest = newDigest();
    byte[] buffer = new byte[1 << 20];
    for (int n; (n = in.read(buffer)) > 0; ) {
      digest.update(buffer, 0, n);
    }
    return hex(digest);
  }

  /** The checksum of the text's UTF-8 bytes. */
  public static String ofText(String text) {
    MessageDigest digest = newDigest();
    digest.update(text.getBytes(StandardCharsets.UTF_8));
    return hex(digest);
  }

  public static String hex(MessageDigest digest) {
    return HexFormat.of().formatHex(digest.digest());
  }
}
