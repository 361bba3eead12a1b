package dev.adapterforge.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.adapterforge.job.UsageException;
import dev.adapterforge.ops.checkpoint.SafetensorsCheckpoint;
import dev.adapterforge.ops.checkpoint.Sha256;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * What an adapter artifact folder says about itself: {@code adapter_config.json}, whose {@code
 * adapterforge} block carries the lineage the registry records, and every file with its SHA-256.
 *
 * <pre>
 * "adapterforge": {
 *   "language": "sun-Latn", "script": "Latn", "method": "seq_bn",
 *   "hyperparameters": {...},
 *   "base_model": {"id": "mbert", "sha256": "..."}, "tokenizer_sha256": "...",
 *   "data": {"inputs": ["..."], "stats": {...}, "content_hash": "...", "seed": 42},
 *   "metrics": {"mlm_loss": 2.1, "pseudo_perplexity": 8.4, "steps": 1000, "tokens": 2048000},
 *   "created_by": "adapterforge 0.1.0", "name": "optional default registry name"
 * }
 * </pre>
 */
public record ArtifactManifest(
    Path directory,
    String defaultName,
    String language,
    String script,
    String method,
    String hyperparametersJson,
    String baseModelId,
    String baseModelSha256,
    String tokenizerSha256,
    List<String> dataInputs,
    String dataStatsJson,
    String dataHash,
    Long seed,
    Map<String, Double> metrics,
    String createdBy,
    List<ArtifactFile> files,
    String contentHash) {

  public static final String CONFIG = "adapter_config.json";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One file of the artifact, by its path relative to the artifact folder. */
  public record ArtifactFile(String path, String sha256, long size) {}

  /** Reads and checksums {@code directory}; a missing or incomplete config is a {@link UsageException}. */
  public static ArtifactManifest read(Path directory) {
    Path config = directory.resolve(CONFIG);
    if (!Files.isRegularFile(config)) {
      throw new UsageException("--artifact: " + directory + " has no " + CONFIG);
    }
    JsonNode block;
    try {
      block = JSON.readTree(config.toFile()).path("adapterforge");
    } catch (IOException e) {
      throw new UsageException("--artifact: " + config + " is not valid JSON: " + e.getMessage(), e);
    }
    if (!block.isObject()) {
      throw new UsageException("--artifact: " + config + " has no \"adapterforge\" object");
    }
    String language = required(block, "language", config);
    String method = required(block, "method", config);
    JsonNode baseModel = block.path("base_model");
    List<ArtifactFile> files = checksums(directory);
    requireFiniteWeights(directory, files);
    Map<String, Double> metrics = new LinkedHashMap<>();
    block.path("metrics").fields().forEachRemaining(e -> metrics.put(e.getKey(), e.getValue().asDouble()));
    List<String> inputs = new ArrayList<>();
    block.path("data").path("inputs").forEach(i -> inputs.add(i.asText()));
    return new ArtifactManifest(
        directory,
        text(block, "name"),
        language,
        text(block, "script"),
        method,
        block.path("hyperparameters").isMissingNode() ? "{}" : block.path("hyperparameters").toString(),
        required(baseModel, "id", config, "base_model.id"),
        required(baseModel, "sha256", config, "base_model.sha256"),
        text(block, "tokenizer_sha256"),
        inputs,
        block.path("data").path("stats").isMissingNode() ? null : block.path("data").path("stats").toString(),
        text(block.path("data"), "content_hash"),
        block.path("data").path("seed").isNumber() ? block.path("data").path("seed").asLong() : null,
        metrics,
        text(block, "created_by"),
        files,
        contentHash(files));
  }

  /** This manifest with {@code more} figures (an evaluation's, say) beside the artifact's own, for the registry row; the files are unchanged. */
  public ArtifactManifest withMetrics(Map<String, Double> more) {
    Map<String, Double> all = new LinkedHashMap<>(metrics);
    all.putAll(more);
    return new ArtifactManifest(
        directory, defaultName, language, script, method, hyperparametersJson, baseModelId, baseModelSha256, tokenizerSha256,
        dataInputs, dataStatsJson, dataHash, seed, all, createdBy, files, contentHash);
  }

  public long sizeBytes() {
    return files.stream().mapToLong(ArtifactFile::size).sum();
  }

  /** The name an adapter is registered under when --name is not given. */
  public String registryName() {
    return defaultName != null ? defaultName : language + "-" + method;
  }

  /** SHA-256 over the sorted "sha256  path" lines: the artifact's identity, whatever folder it is in. */
  static String contentHash(List<ArtifactFile> files) {
    StringBuilder lines = new StringBuilder();
    files.stream().sorted((a, b) -> a.path().compareTo(b.path()))
        .forEach(f -> lines.append(f.sha256()).append("  ").append(f.path()).append('\n'));
    return Sha256.ofText(lines.toString());
  }

  private static List<ArtifactFile> checksums(Path directory) {
    try (Stream<Path> walk = Files.walk(directory)) {
      List<ArtifactFile> files = new ArrayList<>();
      for (Path file : walk.filter(Files::isRegularFile).sorted().toList()) {
        files.add(new ArtifactFile(directory.relativize(file).toString(), Sha256.of(file), Files.size(file)));
      }
      return files;
    } catch (IOException e) {
      throw new UsageException("--artifact: cannot read " + directory + ": " + e.getMessage(), e);
    }
  }

  /** Every safetensors file's tensors: a NaN or infinite weight is never published. */
  private static void requireFiniteWeights(Path directory, List<ArtifactFile> files) {
    for (ArtifactFile file : files) {
      if (!file.path().endsWith(".safetensors")) {
        continue;
      }
      try (SafetensorsCheckpoint weights = SafetensorsCheckpoint.open(directory.resolve(file.path()))) {
        for (String name : weights.names()) {
          weights.finiteTensor(name);
        }
      } catch (IOException e) {
        throw new UsageException("--artifact: " + e.getMessage(), e);
      }
    }
  }

  private static String text(JsonNode node, String field) {
    JsonNode value = node.path(field);
    return value.isValueNode() && !value.isNull() ? value.asText() : null;
  }

  private static String required(JsonNode node, String field, Path config) {
    return required(node, field, config, "adapterforge." + field);
  }

  private static String required(JsonNode node, String field, Path config, String key) {
    String value = text(node, field);
    if (value == null || value.isBlank()) {
      throw new UsageException("--artifact: " + config + " has no " + (key.startsWith("adapterforge.") ? key : "adapterforge." + key));
    }
    return value;
  }
}
