package dev.adapterforge.ops.model;

import static java.nio.charset.StandardCharsets.US_ASCII;

import dev.adapterforge.ops.checkpoint.Sha256;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A file's SHA-256 kept next to it as {@code <file>.sha256} in sha256sum's format, so that hashing
 * a 700 MB checkpoint happens once, and {@code sha256sum -c} can check it.
 */
final class Sha256Sidecar {
  private static final Logger LOG = LoggerFactory.getLogger(Sha256Sidecar.class);
  private static final String SUFFIX = ".sha256";
  private static final int HEX_LENGTH = 64;

  private Sha256Sidecar() {}

  /**
   * The file's SHA-256 in hex: from its sidecar when that is at least as new as the file, else
   * computed and stored (a read-only folder only costs the recomputation next time).
   */
  static String sha256(Path file) throws IOException {
    Path sidecar = sidecarOf(file);
    if (Files.isRegularFile(sidecar)
        && Files.getLastModifiedTime(sidecar).compareTo(Files.getLastModifiedTime(file)) >= 0) {
      String line = Files.readString(sidecar, US_ASCII);
      String hex = line.substring(0, Math.min(HEX_LENGTH, line.length()));
      if (hex.length() == HEX_LENGTH && hex.chars().allMatch(HexFormat::isHexDigit)) {
        return hex;
      }
      LOG.warn("{}: not a sha256sum line; recomputing", sidecar);
    }
    String computed = Sha256.of(file);
    try {
      store(file, computed);
    } catch (IOException e) {
      LOG.warn(
          "{}: cannot store its SHA-256 beside it ({}); it will be recomputed next time",
          file,
          e.toString());
    }
    return computed;
  }

  static void store(Path file, String hex) throws IOException {
    Files.writeString(sidecarOf(file), hex + "  " + file.getFileName() + "\n", US_ASCII);
  }

  private static Path sidecarOf(Path file) {
    return file.resolveSibling(file.getFileName() + SUFFIX);
  }
}
