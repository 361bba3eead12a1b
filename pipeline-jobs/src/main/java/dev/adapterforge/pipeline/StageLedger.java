package dev.adapterforge.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.Optional;

/**
 * What each pipeline stage last finished, one JSON file per stage, source and key under {@code
 * <work>/ledger/}: the fingerprint of what it consumed (content hashes of its inputs and its
 * settings) and what it produced. A stage whose current fingerprint matches its record has nothing
 * to do. A record is written, by rename, only after the stage's output is complete, so a run killed
 * at any point leaves either the old record or the new one.
 *
 * <pre>
 * {"fingerprint": "9f2c...", "finished_at": "2026-12-06T09:12:03Z", "consumed": {...}, "result": {...}}
 * </pre>
 */
final class StageLedger {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** A finished stage: its fingerprint, what went into it and what came out. */
  record Entry(String fingerprint, JsonNode consumed, JsonNode result) {}

  private final Path directory;

  StageLedger(Path directory) {
    this.directory = directory;
  }

  Optional<Entry> read(String stage, String source, String key) {
    Path file = file(stage, source, key);
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try {
      JsonNode entry = JSON.readTree(file.toFile());
      return Optional.of(new Entry(entry.path("fingerprint").asText(), entry.path("consumed"), entry.path("result")));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the pipeline ledger entry " + file, e);
    }
  }

  /** The entry if its fingerprint is {@code fingerprint}: the stage's work is done. */
  Optional<Entry> current(String stage, String source, String key, String fingerprint) {
    return read(stage, source, key).filter(entry -> entry.fingerprint().equals(fingerprint));
  }

  void record(String stage, String source, String key, String fingerprint, JsonNode consumed, JsonNode result) {
    Path file = file(stage, source, key);
    ObjectNode entry = JSON.createObjectNode();
    entry.put("fingerprint", fingerprint);
    entry.put("finished_at", Instant.now().toString());
    entry.set("consumed", consumed);
    entry.set("result", result);
    try {
      Files.createDirectories(file.getParent());
      Path staging = Files.createTempFile(file.getParent(), "." + key, ".tmp");
      JSON.writeValue(staging.toFile(), entry);
      Files.move(staging, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the pipeline ledger entry " + file, e);
    }
  }

  static ObjectNode object() {
    return JSON.createObjectNode();
  }

  private Path file(String stage, String source, String key) {
    return directory.resolve(stage).resolve(source).resolve(key + ".json");
  }
}
