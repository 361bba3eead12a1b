package dev.adapterforge.ops.adapters;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.adapterforge.ops.checkpoint.SafetensorsCheckpoint;
import dev.adapterforge.ops.checkpoint.SafetensorsWriter;
import dev.adapterforge.ops.checkpoint.Sha256;
import dev.adapterforge.ops.checkpoint.Tensor;
import dev.adapterforge.ops.model.BaseModel;
import dev.adapterforge.ops.model.ModelArchitecture;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Stream;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * An adapter's folder, as the Python library of its method saves one: {@code adapter_config.json}
 * (the library's own keys, and AdapterForge's {@code adapterforge} block: method, hyperparameters,
 * base model, lineage, the weights' checksum) and the weights in safetensors under the library's
 * tensor names, float32.
 *
 * <p>A folder is written beside its destination and renamed into place, so a crash never leaves
 * half an adapter under the destination's name; loading checks the weights' checksum and that the
 * adapter belongs to the base model it is loaded onto.
 */
public final class AdapterArtifact {
  public static final String CONFIG = "adapter_config.json";
  public static final String BLOCK = "adapterforge";

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private AdapterArtifact() {}

  /**
   * Saves a trained adapter to {@code directory}, which must not exist yet.
   *
   * @param parameters the adapter's parameters by the names it declared, e.g. the encoder layer's
   *     parameter table
   * @param adapterName the name the Python libraries load it under (part of the adapters library's
   *     tensor names)
   * @throws FileAlreadyExistsException if {@code directory} exists
   * @throws IllegalArgumentException if a declared parameter is missing or misshapen
   */
  public static void write(
      Path directory,
      Adapter adapter,
      Map<String, INDArray> parameters,
      BaseModel baseModel,
      ArtifactLineage lineage,
      String adapterName)
      throws IOException {
    if (Files.exists(directory)) {
      throw new FileAlreadyExistsException(directory.toString(), null, "adapter folder exists");
    }
    ModelArchitecture architecture = baseModel.architecture();
    PythonNames names = PythonNames.of(baseModel, adapterName);
    List<Tensor> tensors = new ArrayList<>();
    long parameterCount = 0;
    for (Map.Entry<String, long[]> declared : declaredShapes(adapter, architecture).entrySet()) {
      INDArray value = parameters.get(declared.getKey());
      if (value == null || !Arrays.equals(value.shape(), declared.getValue())) {
        throw new IllegalArgumentException(
            String.format(
                "parameter %s: expected shape %s, got %s",
                declared.getKey(),
                Arrays.toString(declared.getValue()),
                value == null ? "nothing" : Arrays.toString(value.shape())));
      }
      tensors.add(toTensor(value, adapter.pythonTensor(declared.getKey(), names)));
      parameterCount += value.length();
    }
    tensors.addAll(adapter.fixedTensors(names));

    AdapterConfig config = adapter.config();
    Path parent = directory.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    Path staging = parent.resolve("." + directory.getFileName() + ".staging-" + UUID.randomUUID());
    Files.createDirectory(staging);
    try {
      Path weights = staging.resolve(config.weightsFile());
      // "pt": transformers and the adapters library refuse safetensors without it
      SafetensorsWriter.write(weights, tensors, Map.of("format", "pt"));
      ObjectNode file = config.pythonConfig(names);
      file.set(BLOCK, block(config, baseModel, names, lineage, parameterCount, Sha256.of(weights)));
      JSON.writeValue(staging.resolve(CONFIG).toFile(), file);
      Files.move(staging, directory, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      deleteRecursively(staging);
    }
  }

  /**
   * Loads the adapter in {@code directory} for {@code baseModel}.
   *
   * @throws AdapterArtifactException if the folder is not a complete adapter, its weights fail
   *     their checksum, or it was trained on another base model
   */
  public static LoadedAdapter read(Path directory, BaseModel baseModel) throws IOException {
    return read(directory, baseModel.id(), baseModel.checkpointSha256(), baseModel.architecture());
  }

  /**
   * {@link #read(Path, BaseModel)} given the base model's identity alone, as a JVM that has not
   * resolved the model knows it.
   */
  public static LoadedAdapter read(
      Path directory, String baseModelId, String baseModelSha256, ModelArchitecture architecture)
      throws IOException {
    Path configFile = directory.resolve(CONFIG);
    if (!Files.isRegularFile(configFile)) {
      throw new AdapterArtifactException(directory, "no " + CONFIG + "; not an adapter folder");
    }
    JsonNode block;
    try {
      block = JSON.readTree(configFile.toFile()).path(BLOCK);
    } catch (JsonProcessingException e) {
      throw new AdapterArtifactException(directory, CONFIG + " is not valid JSON: " + e.getOriginalMessage(), e);
    }
    if (!block.isObject()) {
      throw new AdapterArtifactException(
          directory, CONFIG + " has no \"" + BLOCK + "\" object; not saved by AdapterForge");
    }
    String trainedOn = block.path("base_model").path("sha256").asText();
    if (!trainedOn.equals(baseModelSha256)) {
      throw new AdapterArtifactException(
          directory,
          String.format(
              "trained on base model %s (checkpoint SHA-256 %s), but the base model here is %s"
                  + " (%s); an adapter only works on the weights it was trained with",
              block.path("base_model").path("id").asText("?"),
              abbreviate(trainedOn),
              baseModelId,
              abbreviate(baseModelSha256)));
    }
    AdapterConfig config = config(directory, block);
    Path weights = directory.resolve(config.weightsFile());
    if (!Files.isRegularFile(weights)) {
      throw new AdapterArtifactException(directory, "no weights file " + config.weightsFile());
    }
    String expected = block.path("weights_sha256").asText();
    String actual = Sha256.of(weights);
    if (!actual.equals(expected)) {
      throw new AdapterArtifactException(
          directory,
          String.format(
              "%s has SHA-256 %s, but %s records %s: the file is corrupt or was replaced",
              config.weightsFile(), abbreviate(actual), CONFIG, abbreviate(expected)));
    }
    try (SafetensorsCheckpoint file = SafetensorsCheckpoint.open(weights)) {
      Map<String, Tensor> tensors = new HashMap<>();
      for (String name : file.names()) {
        tensors.put(name, file.finiteTensor(name));
      }
      Adapter adapter = config.restore(architecture, tensors);
      PythonNames names = storedNames(block, directory);
      Set<String> unused = new TreeSet<>(tensors.keySet());
      adapter.fixedTensors(names).forEach(fixed -> unused.remove(fixed.name()));
      Map<String, INDArray> parameters = new LinkedHashMap<>();
      for (Map.Entry<String, long[]> declared : declaredShapes(adapter, architecture).entrySet()) {
        PythonTensor stored = adapter.pythonTensor(declared.getKey(), names);
        Tensor tensor = tensors.get(stored.key());
        if (tensor == null) {
          throw new AdapterArtifactException(
              directory, config.weightsFile() + " has no tensor " + stored.key());
        }
        parameters.put(declared.getKey(), fromTensor(tensor, stored, declared.getValue(), directory));
        unused.remove(stored.key());
      }
      if (!unused.isEmpty()) {
        throw new AdapterArtifactException(
            directory,
            config.weightsFile() + " has tensors the " + config.method().id() + " config does not declare: "
                + unused);
      }
      return new LoadedAdapter(
          directory,
          adapter,
          parameters,
          lineage(block),
          block.path("base_model").path("id").asText(),
          trainedOn,
          actual);
    }
  }

  /** The method's config, read back from the block's {@code method} and {@code hyperparameters}. */
  private static AdapterConfig config(Path directory, JsonNode block) throws AdapterArtifactException {
    try {
      AdapterMethod method = AdapterMethod.of(block.path("method").asText());
      return JSON.treeToValue(block.path("hyperparameters"), method.configClass());
    } catch (IllegalArgumentException | JsonProcessingException e) {
      String message = e instanceof JsonProcessingException json ? json.getOriginalMessage() : e.getMessage();
      throw new AdapterArtifactException(directory, CONFIG + ": " + message, e);
    }
  }

  /** The names the weights were saved under, which the adapter name in the file decides. */
  private static PythonNames storedNames(JsonNode block, Path directory) throws AdapterArtifactException {
    JsonNode python = block.path("python");
    if (!python.isObject()) {
      throw new AdapterArtifactException(directory, CONFIG + " has no " + BLOCK + ".python object");
    }
    try {
      return JSON.treeToValue(python, PythonNames.class);
    } catch (JsonProcessingException e) {
      throw new AdapterArtifactException(directory, CONFIG + ": " + BLOCK + ".python: " + e.getOriginalMessage(), e);
    }
  }

  private static ObjectNode block(
      AdapterConfig config,
      BaseModel baseModel,
      PythonNames names,
      ArtifactLineage lineage,
      long parameterCount,
      String weightsSha256) {
    ObjectNode block = JSON.createObjectNode();
    if (lineage.name() != null) {
      block.put("name", lineage.name());
    }
    block.put("language", lineage.language());
    if (lineage.script() != null) {
      block.put("script", lineage.script());
    }
    block.put("method", config.method().id());
    block.set("hyperparameters", JSON.valueToTree(config));
    ObjectNode base = block.putObject("base_model");
    base.put("id", baseModel.id());
    base.put("sha256", baseModel.checkpointSha256());
    if (lineage.tokenizerSha256() != null) {
      block.put("tokenizer_sha256", lineage.tokenizerSha256());
    }
    ObjectNode data = block.putObject("data");
    lineage.dataInputs().forEach(data.putArray("inputs")::add);
    if (lineage.dataStats() != null) {
      data.set("stats", lineage.dataStats());
    }
    if (lineage.dataContentHash() != null) {
      data.put("content_hash", lineage.dataContentHash());
    }
    if (lineage.seed() != null) {
      data.put("seed", lineage.seed());
    }
    ObjectNode metrics = block.putObject("metrics");
    lineage.metrics().entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .forEach(metric -> metrics.put(metric.getKey(), metric.getValue()));
    block.put("parameters", parameterCount);
    block.put("weights_sha256", weightsSha256);
    block.set("python", JSON.valueToTree(names));
    if (lineage.createdBy() != null) {
      block.put("created_by", lineage.createdBy());
    }
    return block;
  }

  private static ArtifactLineage lineage(JsonNode block) {
    JsonNode data = block.path("data");
    List<String> inputs = new ArrayList<>();
    data.path("inputs").forEach(input -> inputs.add(input.asText()));
    Map<String, Double> metrics = new LinkedHashMap<>();
    block.path("metrics").fields().forEachRemaining(m -> metrics.put(m.getKey(), m.getValue().asDouble()));
    return new ArtifactLineage(
        text(block, "name"),
        text(block, "language"),
        text(block, "script"),
        text(block, "tokenizer_sha256"),
        inputs,
        data.has("stats") ? data.get("stats") : null,
        text(data, "content_hash"),
        data.path("seed").isNumber() ? data.path("seed").asLong() : null,
        metrics,
        text(block, "created_by"));
  }

  /** What the adapter declares for this architecture, in declaration order. */
  private static Map<String, long[]> declaredShapes(Adapter adapter, ModelArchitecture architecture) {
    SDLayerParams declared = new SDLayerParams();
    adapter.defineParameters(declared, architecture);
    return declared.getParamShapes();
  }

  private static Tensor toTensor(INDArray value, PythonTensor stored) {
    INDArray laidOut =
        switch (stored.layout()) {
          case AS_IS -> value;
          case TRANSPOSED -> value.transpose();
          case VECTOR -> value.reshape(value.length());
        };
    float[] values = laidOut.castTo(DataType.FLOAT).dup('c').reshape(laidOut.length()).toFloatVector();
    return Tensor.ofFloats(stored.key(), laidOut.shape(), values);
  }

  private static INDArray fromTensor(Tensor tensor, PythonTensor stored, long[] shape, Path directory)
      throws AdapterArtifactException {
    long[] expected =
        stored.layout() == PythonTensor.Layout.TRANSPOSED
            ? new long[] {shape[1], shape[0]}
            : stored.layout() == PythonTensor.Layout.VECTOR ? new long[] {shape[1]} : shape;
    if (!Arrays.equals(tensor.shape(), expected)) {
      throw new AdapterArtifactException(
          directory,
          String.format(
              "tensor %s has shape %s, the config implies %s",
              stored.key(), Arrays.toString(tensor.shape()), Arrays.toString(expected)));
    }
    INDArray array = Nd4j.createFromArray(tensor.toFloats()).reshape(expected);
    return stored.layout() == PythonTensor.Layout.TRANSPOSED
        ? array.transpose().dup('c')
        : array.reshape(shape);
  }

  private static String text(JsonNode node, String field) {
    JsonNode value = node.path(field);
    return value.isValueNode() && !value.isNull() ? value.asText() : null;
  }

  private static String abbreviate(String sha256) {
    return sha256.length() > 12 ? sha256.substring(0, 12) + "…" : sha256;
  }

  private static void deleteRecursively(Path directory) throws IOException {
    if (!Files.exists(directory)) {
      return;
    }
    try (Stream<Path> files = Files.walk(directory)) {
      for (Path file : files.sorted((a, b) -> b.compareTo(a)).toList()) {
        Files.delete(file);
      }
    }
  }
}
