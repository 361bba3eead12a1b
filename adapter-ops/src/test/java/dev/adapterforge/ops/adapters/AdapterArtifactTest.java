package dev.adapterforge.ops.adapters;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.adapterforge.ops.adapters.bottleneck.BottleneckConfig;
import dev.adapterforge.ops.checkpoint.SafetensorsCheckpoint;
import dev.adapterforge.ops.encoder.EncoderGraphs;
import dev.adapterforge.ops.encoder.GradientChecks;
import dev.adapterforge.ops.encoder.TinyModel;
import dev.adapterforge.ops.model.BaseModel;
import dev.adapterforge.ops.model.HiddenActivation;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class AdapterArtifactTest {
  private static final ArtifactLineage LINEAGE =
      new ArtifactLineage(
          null, "mt", "Latn", "tok-sha", List.of("/data/prepared"), null, "data-sha", 42L,
          Map.of("mlm_loss", 2.5), "adapterforge test");

  @TempDir static Path models;
  @TempDir Path dir;
  private static BaseModel model;

  @BeforeAll
  static void tinyModel() throws IOException {
    model = GradientChecks.tinyModel(models, HiddenActivation.GELU_ERF);
  }

  private static ComputationGraph trainedLooking(Adapter adapter) {
    ComputationGraph graph = EncoderGraphs.mlmLogits(model, adapter);
    // non-trivial values everywhere, as after training
    graph.params().addi(Nd4j.rand(graph.params().dataType(), graph.params().shape()).subi(0.5));
    return graph;
  }

  @Test
  void roundTripsBitForBitUnderTheAdaptersLibrarysNames() throws IOException {
    Adapter adapter = new BottleneckConfig(4, "relu", List.of(1)).create(TinyModel.BERT);
    ComputationGraph graph = trainedLooking(adapter);
    Path folder = dir.resolve("mt-seq_bn");

    AdapterArtifact.write(folder, adapter, graph.getLayer("encoder").paramTable(), model, LINEAGE, "mt");

    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(List.of(folder), files.toList(), "no staging folder is left behind");
    }
    try (SafetensorsCheckpoint weights = SafetensorsCheckpoint.open(folder.resolve("adapter.safetensors"))) {
      assertEquals(
          List.of(
              "bert.encoder.layer.0.output.adapters.mt.adapter_down.0.bias",
              "bert.encoder.layer.0.output.adapters.mt.adapter_down.0.weight",
              "bert.encoder.layer.0.output.adapters.mt.adapter_up.bias",
              "bert.encoder.layer.0.output.adapters.mt.adapter_up.weight"),
          weights.names());
      // torch Linear layout: [out, in]
      assertArrayEquals(new long[] {2, 8}, weights.shape("bert.encoder.layer.0.output.adapters.mt.adapter_down.0.weight"));
      assertArrayEquals(new long[] {8}, weights.shape("bert.encoder.layer.0.output.adapters.mt.adapter_up.bias"));
    }
    JsonNode config = new ObjectMapper().readTree(folder.resolve(AdapterArtifact.CONFIG).toFile());
    assertEquals(4, config.path("config").path("reduction_factor").asInt());
    assertEquals("mt", config.path("name").asText());
    JsonNode block = config.path(AdapterArtifact.BLOCK);
    assertEquals("seq_bn", block.path("method").asText());
    assertEquals(model.checkpointSha256(), block.path("base_model").path("sha256").asText());
    assertEquals(graph.numParams(), block.path("parameters").asLong());

    LoadedAdapter loaded = AdapterArtifact.read(folder, model);
    assertEquals(adapter.config(), loaded.adapter().config());
    assertEquals(LINEAGE, loaded.lineage());
    EncoderGraphs.assertRestoresExactly(graph, loaded, model);
  }

  @Test
  void refusesToOverwriteAnAdapter() throws IOException {
    Adapter adapter = BottleneckConfig.DEFAULT.withReductionFactor(2).create(TinyModel.BERT);
    Path folder = dir.resolve("a");
    Map<String, INDArray> parameters = trainedLooking(adapter).getLayer("encoder").paramTable();
    AdapterArtifact.write(folder, adapter, parameters, model, LINEAGE, "a");
    assertThrows(
        FileAlreadyExistsException.class,
        () -> AdapterArtifact.write(folder, adapter, parameters, model, LINEAGE, "a"));
  }

  @Test
  void rejectsCorruptWeightsAndAnotherBaseModel() throws IOException {
    Adapter adapter = BottleneckConfig.DEFAULT.withReductionFactor(2).create(TinyModel.BERT);
    Path folder = dir.resolve("a");
    AdapterArtifact.write(folder, adapter, trainedLooking(adapter).getLayer("encoder").paramTable(), model, LINEAGE, "a");

    AdapterArtifactException otherModel =
        assertThrows(
            AdapterArtifactException.class,
            () -> AdapterArtifact.read(folder, "mbert", "f".repeat(64), TinyModel.BERT));
    assertTrue(otherModel.getMessage().contains("trained on base model"), otherModel.getMessage());

    Path weights = folder.resolve("adapter.safetensors");
    byte[] bytes = Files.readAllBytes(weights);
    bytes[bytes.length - 1] ^= 1;
    Files.write(weights, bytes);
    AdapterArtifactException corrupt =
        assertThrows(AdapterArtifactException.class, () -> AdapterArtifact.read(folder, model));
    assertTrue(corrupt.getMessage().contains("corrupt"), corrupt.getMessage());

    AdapterArtifactException notAnAdapter =
        assertThrows(AdapterArtifactException.class, () -> AdapterArtifact.read(dir.resolve("none"), model));
    assertTrue(notAnAdapter.getMessage().contains("adapter_config.json"), notAnAdapter.getMessage());
  }

  /** Saved by a run that diverged, say: the checksum is consistent, the values are not usable. */
  @Test
  void refusesNonFiniteWeightsNamingTheTensor() throws IOException {
    Adapter adapter = BottleneckConfig.DEFAULT.withReductionFactor(2).create(TinyModel.BERT);
    Map<String, INDArray> parameters = trainedLooking(adapter).getLayer("encoder").paramTable();
    parameters.values().iterator().next().putScalar(1, Float.NaN);
    Path folder = dir.resolve("nan");
    AdapterArtifact.write(folder, adapter, parameters, model, LINEAGE, "nan");

    IOException refused = assertThrows(IOException.class, () -> AdapterArtifact.read(folder, model));
    assertTrue(refused.getMessage().contains("adapter.safetensors: tensor bert.encoder.layer.") && refused.getMessage().contains("holds NaN"),
        refused.getMessage());
  }

  @Test
  void aMissingParameterFailsBeforeAnythingIsWritten() {
    Adapter adapter = BottleneckConfig.DEFAULT.withReductionFactor(2).create(TinyModel.BERT);
    Path folder = dir.resolve("a");
    assertThrows(
        IllegalArgumentException.class,
        () -> AdapterArtifact.write(folder, adapter, Map.of(), model, LINEAGE, "a"));
    assertFalse(Files.exists(folder));
  }

}
