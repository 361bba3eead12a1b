package dev.adapterforge.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.adapterforge.job.UsageException;
import dev.adapterforge.ops.adapters.AdapterConfig;
import dev.adapterforge.ops.model.BaseModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Iterator;
import java.util.Map;

/**
 * What a training run's checkpoints were made by: the method and each of its hyperparameters, every
 * training setting that shapes the result (by the option that sets it), the base model's weights,
 * the training data's content and the seed. Written beside the checkpoints when a run starts, so a
 * {@code --resume} under other settings is refused instead of silently continuing the old run.
 */
final class RunIdentity {
  static final String FILE = "run_identity.json";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final ObjectNode fields;

  private RunIdentity(ObjectNode fields) {
    this.fields = fields;
  }

  static RunIdentity of(AdapterConfig config, DistributedTraining.Settings settings, BaseModel model, String dataContentHash) {
    ObjectNode fields = JSON.createObjectNode();
    fields.put("--method", config.method().id());
    JSON.valueToTree(config).fields().forEachRemaining(e -> fields.set("hyperparameters." + e.getKey(), e.getValue()));
    fields.put("--steps", settings.steps());
    fields.put("--lr", settings.learningRate());
    fields.put("--batch-size-per-worker", settings.batchSizePerWorker());
    fields.put("--averaging-frequency", settings.averagingFrequency());
    fields.put("--workers", settings.workers());
    fields.put("--mlm-probability", settings.mlmProbability());
    fields.put("--max-length", settings.maxLength());
    fields.put("--eval-every", settings.evalEvery());
    fields.put("--eval-sequences", settings.evalSequences());
    fields.put("--seed", settings.seed());
    fields.put("base model SHA-256", model.checkpointSha256());
    fields.put("training data content hash", dataContentHash);
    return new RunIdentity(fields);
  }

  /** Written beside the checkpoints, replacing any earlier run's, before the run's first checkpoint. */
  void write(Path runDirectory) throws IOException {
    Files.createDirectories(runDirectory);
    Path staging = runDirectory.resolve(FILE + ".staging");
    JSON.writerWithDefaultPrettyPrinter().writeValue(staging.toFile(), fields);
    Files.move(staging, runDirectory.resolve(FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /**
   * @throws UsageException naming the first field where the run in {@code runDirectory} differs from
   *     this one, both values and what to do
   */
  void requireSameAs(Path runDirectory) throws IOException {
    Path file = runDirectory.resolve(FILE);
    String restart = "; rerun with the checkpoint's settings, or without --resume to start over";
    if (!Files.isRegularFile(file)) {
      throw new UsageException("--resume: " + runDirectory + " has no " + FILE + " saying what made its checkpoint" + restart);
    }
    JsonNode recorded = JSON.readTree(file.toFile());
    for (Iterator<Map.Entry<String, JsonNode>> it = fields.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      JsonNode then = recorded.path(field.getKey());
      if (!same(then, field.getValue())) {
        throw new UsageException(
            "--resume: the checkpoint in " + runDirectory + " was made with " + field.getKey() + " "
                + (then.isMissingNode() ? "unset" : then) + ", this run has " + field.getValue() + restart);
      }
    }
  }

  /** Equal as JSON, numbers by value: 1e-4 read back as a double equals 1.0E-4. */
  private static boolean same(JsonNode a, JsonNode b) {
    if (a.isNumber() && b.isNumber()) {
      return a.decimalValue().compareTo(b.decimalValue()) == 0;
    }
    return a.equals(b);
  }
}
