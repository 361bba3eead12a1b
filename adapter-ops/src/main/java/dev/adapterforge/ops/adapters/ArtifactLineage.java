package dev.adapterforge.ops.adapters;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/**
 * Where an adapter came from and how well it does: the part of an artifact's {@code adapterforge}
 * block that the registry records as lineage (method, hyperparameters and base model are the
 * artifact's own). Nullable fields are left out of the file.
 *
 * @param name the registry name to publish under by default, or null for {@code <language>-<method>}
 * @param language the language code the adapter was trained for, e.g. {@code sun-Latn} or {@code mt}
 * @param script the ISO 15924 script of its training text, or null
 * @param tokenizerSha256 the base model tokenizer's SHA-256
 * @param dataInputs the prepared data read, as paths or URIs
 * @param dataStats the prep job's statistics for it, or null
 * @param dataContentHash the content hash of the training data, or null
 * @param seed the training seed, or null
 * @param metrics evaluation figures, e.g. {@code mlm_loss}, {@code pseudo_perplexity}, {@code steps}
 * @param createdBy the program and version that trained it
 */
public record ArtifactLineage(
    String name,
    String language,
    String script,
    String tokenizerSha256,
    List<String> dataInputs,
    JsonNode dataStats,
    String dataContentHash,
    Long seed,
    Map<String, Double> metrics,
    String createdBy) {

  public ArtifactLineage {
    if (language == null || language.isBlank()) {
      throw new IllegalArgumentException("an adapter artifact needs its language");
    }
    dataInputs = dataInputs == null ? List.of() : List.copyOf(dataInputs);
    metrics = metrics == null ? Map.of() : Map.copyOf(metrics);
  }
}
