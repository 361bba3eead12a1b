package dev.adapterforge.ops.adapters.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.adapterforge.ops.adapters.AdapterArtifact;
import dev.adapterforge.ops.adapters.AdapterGraphs;
import dev.adapterforge.ops.adapters.ArtifactLineage;
import dev.adapterforge.ops.adapters.LoadedAdapter;
import dev.adapterforge.ops.adapters.PythonNames;
import dev.adapterforge.ops.checkpoint.SafetensorsCheckpoint;
import dev.adapterforge.ops.encoder.FrozenWeights;
import dev.adapterforge.ops.encoder.FrozenWeightsCache;
import dev.adapterforge.ops.encoder.GradientChecks;
import dev.adapterforge.ops.encoder.MaskedLmGraph;
import dev.adapterforge.ops.encoder.PaddedBatch;
import dev.adapterforge.ops.encoder.Projection;
import dev.adapterforge.ops.encoder.TinyModel;
import dev.adapterforge.ops.model.BaseModel;
import dev.adapterforge.ops.model.HiddenActivation;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class LoraAdapterTest {
  private static final List<String> EVERY_MODULE =
      List.of("query", "key", "value", "attention.output.dense", "intermediate.dense", "output.dense");

  @TempDir static Path dir;
  private static BaseModel model;

  @BeforeAll
  static void tinyModel() throws IOException {
    model = GradientChecks.tinyModel(dir.resolve("models"), HiddenActivation.GELU_ERF);
  }

  /** A LoRA adapter on the tiny model with non-zero B, as after training. */
  private static ComputationGraph trained(LoraAdapter adapter) {
    ComputationGraph graph = AdapterGraphs.mlmLogits(model, adapter);
    graph.params().assign(Nd4j.randn(DataType.FLOAT, graph.params().shape()).muli(0.3));
    return graph;
  }

  @Test
  void gradientsMatchFiniteDifferences() {
    assertTrue(GradientChecks.passes(model, LoraConfig.DEFAULT.withRank(2, 4).withTargets(EVERY_MODULE).create(TinyModel.BERT)));
  }

  @Test
  void aFreshAdapterIsExactlyTheBaseModel() {
    ComputationGraph fresh = AdapterGraphs.mlmLogits(model, LoraConfig.DEFAULT.withRank(2, 2).create(TinyModel.BERT));
    // 2 layers x (query, value) x (A 8x2 + B 2x8)
    assertEquals(2 * 2 * (16 + 16), fresh.numParams());
    INDArray ids = AdapterGraphs.sampleIds();
    assertEquals(AdapterGraphs.mlmLogits(model, null).outputSingle(ids), fresh.outputSingle(ids));
  }

  @Test
  void mergedWeightsComputeWhatTheAdapterComputesAndUnmergeRestoresThem() {
    LoraAdapter adapter = LoraConfig.DEFAULT.withRank(2, 4).withTargets(EVERY_MODULE).create(TinyModel.BERT);
    Map<String, INDArray> parameters = trained(adapter).getLayer("encoder").paramTable();
    FrozenWeights base = FrozenWeightsCache.get(model, DataType.FLOAT);
    INDArray queryBefore = base.projectionWeight(0, Projection.QUERY).dup();

    LoraMerge merge = LoraMerge.merge(base, adapter, parameters);
    PaddedBatch batch = PaddedBatch.of(List.of(TinyModel.randomIds(new Random(4), 3, 6)), 0, 16);
    int[] rows = IntStream.range(0, batch.size() * batch.length()).toArray();
    INDArray withAdapter = new MaskedLmGraph(base, adapter, parameters).logProbabilities(batch, rows);
    INDArray withMerged = new MaskedLmGraph(merge.merged(), null, Map.of()).logProbabilities(batch, rows);
    // float rounding of W + update against x·W + x·A·B, on log-probabilities near -3
    assertEquals(0, withAdapter.sub(withMerged).amaxNumber().doubleValue(), 1e-4);
    assertTrue(merge.merged().projectionWeight(0, Projection.QUERY).sub(queryBefore).amaxNumber().doubleValue() > 1e-3);

    assertSame(base, merge.unmerge());
    assertArrayEquals(queryBefore.data().asFloat(), merge.unmerge().projectionWeight(0, Projection.QUERY).data().asFloat());
  }

  @Test
  void savesInPeftsLayout() throws IOException {
    LoraAdapter adapter = LoraConfig.DEFAULT.withRank(2, 8).create(TinyModel.BERT);
    ComputationGraph graph = trained(adapter);
    Path folder = dir.resolve("yo-lora");
    ArtifactLineage lineage = new ArtifactLineage(null, "yo", null, null, List.of(), null, null, null, Map.of(), null);
    AdapterArtifact.write(folder, adapter, graph.getLayer("encoder").paramTable(), model, lineage, "yo");

    try (SafetensorsCheckpoint weights = SafetensorsCheckpoint.open(folder.resolve("adapter_model.safetensors"))) {
      assertEquals(8, weights.names().size());
      assertArrayEquals(
          new long[] {2, 8}, weights.shape("base_model.model.encoder.layer.0.attention.self.query.lora_A.weight"));
      assertArrayEquals(
          new long[] {8, 2}, weights.shape("base_model.model.encoder.layer.1.attention.self.value.lora_B.weight"));
    }
    JsonNode config = new ObjectMapper().readTree(folder.resolve("adapter_config.json").toFile());
    assertEquals("LORA", config.path("peft_type").asText());
    assertEquals(2, config.path("r").asInt());
    assertEquals(8.0, config.path("lora_alpha").asDouble());
    assertEquals("[\"query\",\"value\"]", config.path("target_modules").toString());

    LoadedAdapter loaded = AdapterArtifact.read(folder, model);
    AdapterGraphs.assertRestoresExactly(graph, loaded, model);
  }

  @Test
  void aSuffixThatWouldCatchMoreModulesBecomesARegularExpression() {
    PythonNames names = PythonNames.of(model, "x");
    JsonNode config = LoraConfig.DEFAULT.withTargets(List.of("query", "output.dense")).pythonConfig(names);
    String pattern = config.path("target_modules").asText();
    assertTrue("encoder.layer.3.output.dense".matches(pattern), pattern);
    assertTrue("encoder.layer.3.attention.self.query".matches(pattern), pattern);
    assertTrue(!"encoder.layer.3.attention.output.dense".matches(pattern), pattern);
  }

  @Test
  void rejectsConfigsItCannotHonour() {
    assertThrows(IllegalArgumentException.class, () -> LoraConfig.DEFAULT.withRank(0, 8));
    IllegalArgumentException unknown =
        assertThrows(IllegalArgumentException.class, () -> LoraConfig.DEFAULT.withTargets(List.of("dense")));
    assertTrue(unknown.getMessage().contains("intermediate.dense"), unknown.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new LoraConfig(8, 8, 0.1, List.of("query"), null));
    assertThrows(
        IllegalArgumentException.class,
        () -> new LoraConfig(8, 8, 0, List.of("query"), List.of(7)).create(TinyModel.BERT));
  }
}
