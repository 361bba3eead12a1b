package dev.adapterforge.ops.adapters.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.adapterforge.ops.adapters.AdapterArtifact;
import dev.adapterforge.ops.encoder.EncoderGraphs;
import dev.adapterforge.ops.adapters.ArtifactLineage;
import dev.adapterforge.ops.adapters.LoadedAdapter;
import dev.adapterforge.ops.adapters.PythonNames;
import dev.adapterforge.ops.checkpoint.SafetensorsCheckpoint;
import dev.adapterforge.ops.encoder.Encoder;
import dev.adapterforge.ops.encoder.EncoderLayer;
import dev.adapterforge.ops.encoder.FrozenWeights;
import dev.adapterforge.ops.encoder.FrozenWeightsCache;
import dev.adapterforge.ops.encoder.GradientChecks;
import dev.adapterforge.ops.encoder.Projection;
import dev.adapterforge.ops.encoder.TinyModel;
import dev.adapterforge.ops.model.BaseModel;
import dev.adapterforge.ops.model.HiddenActivation;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

class LoraAdapterTest {
  private static final Logger LOG = LoggerFactory.getLogger(LoraAdapterTest.class);
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
    ComputationGraph graph = EncoderGraphs.mlmLogits(model, adapter);
    graph.params().assign(Nd4j.randn(DataType.FLOAT, graph.params().shape()).muli(0.3));
    return graph;
  }

  @Test
  void gradientsMatchFiniteDifferences() {
    assertTrue(GradientChecks.passes(model, LoraConfig.DEFAULT.withRank(2, 4).withTargets(EVERY_MODULE).create(TinyModel.BERT)));
  }

  @Test
  void aFreshAdapterIsExactlyTheBaseModel() {
    LoraAdapter adapter = LoraConfig.DEFAULT.withRank(2, 2).withTargets(EVERY_MODULE).create(TinyModel.BERT);
    ComputationGraph fresh = EncoderGraphs.mlmLogits(model, adapter);
    // 2 layers x (4 projections 8->8: A 8x2 + B 2x8; intermediate 8->16: 16 + 32; output 16->8: 32 + 16)
    assertEquals(2 * (4 * 32 + 48 + 48), fresh.numParams());
    Map<String, INDArray> parameters = fresh.getLayer("encoder").paramTable();
    // PEFT's kaiming-uniform(a=√5) on the output dense's fan-in 16: U(±1/4)
    double largestA = parameters.get(LoraAdapter.name(1, Projection.OUTPUT, "A")).amaxNumber().doubleValue();
    assertTrue(largestA <= 0.25 && largestA > 0.1, "largest |A| " + largestA);
    assertEquals(0, parameters.get(LoraAdapter.name(1, Projection.OUTPUT, "B")).amaxNumber().doubleValue());

    INDArray ids = EncoderGraphs.sampleIds();
    assertArrayEquals(EncoderGraphs.floats(EncoderGraphs.mlmLogits(model, null).outputSingle(ids)), EncoderGraphs.floats(fresh.outputSingle(ids)));
  }

  /** The encoder's hidden states [batch × length, hidden] on {@code weights}, the adapter's parameters as constants. */
  private static INDArray hiddenStates(
      FrozenWeights weights, LoraAdapter adapter, Map<String, INDArray> parameters, int[][] ids, float[][] mask) {
    SameDiff sd = SameDiff.create();
    Map<String, SDVariable> constants = new HashMap<>();
    parameters.forEach((name, value) -> constants.put(name, sd.constant(name, value)));
    return new Encoder(sd, weights, adapter, constants)
        .hiddenStates(sd.constant(Nd4j.createFromArray(ids)), sd.constant(Nd4j.createFromArray(mask)))
        .eval();
  }

  @Test
  void mergedWeightsComputeWhatTheAdapterComputesAndUnmergeRestoresThem() {
    int[][] ids = TinyModel.randomIds(new Random(4), 3, 6);
    float[][] mask = {{1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 0, 0}, {1, 1, 1, 0, 0, 0}};
    FrozenWeights base = FrozenWeightsCache.get(model, DataType.FLOAT);
    for (LoraConfig config :
        List.of(
            LoraConfig.DEFAULT.withRank(2, 4).withTargets(EVERY_MODULE),
            new LoraConfig(2, 8, 0, List.of("query", "output.dense"), List.of(1)))) {
      LoraAdapter adapter = config.create(TinyModel.BERT);
      Map<String, INDArray> parameters = trained(adapter).getLayer("encoder").paramTable();
      Map<Projection, float[]> before = new HashMap<>();
      for (Projection projection : Projection.values()) {
        before.put(projection, EncoderGraphs.floats(base.projectionWeight(1, projection)));
      }

      LoraMerge merge = LoraMerge.merge(base, adapter, parameters);
      INDArray withAdapter = hiddenStates(base, adapter, parameters, ids, mask);
      INDArray bare = hiddenStates(base, null, Map.of(), ids, mask);
      INDArray merged = hiddenStates(merge.merged(), null, Map.of(), ids, mask);
      double difference = withAdapter.sub(merged).amaxNumber().doubleValue();
      LOG.info("{} on layers {}: merged vs adapter max abs difference {}", config.targetModules(),
          config.layersToTransform() == null ? "all" : config.layersToTransform(), difference);
      assertTrue(difference < 1e-5, "max abs difference " + difference);
      assertTrue(withAdapter.sub(bare).amaxNumber().doubleValue() > 1e-2, "the adapter changes the states");

      // the original weights, kept and never written
      assertSame(base, merge.unmerge());
      for (Projection projection : Projection.values()) {
        assertArrayEquals(before.get(projection), EncoderGraphs.floats(merge.unmerge().projectionWeight(1, projection)));
      }
    }
    LoraAdapter valueOnly = LoraConfig.DEFAULT.withTargets(List.of("value")).create(TinyModel.BERT);
    LoraMerge merge = LoraMerge.merge(base, valueOnly, trained(valueOnly).getLayer("encoder").paramTable());
    assertSame(base.projectionWeight(0, Projection.QUERY), merge.merged().projectionWeight(0, Projection.QUERY));
    assertNotSame(base.projectionWeight(0, Projection.VALUE), merge.merged().projectionWeight(0, Projection.VALUE));
    assertThrows(IllegalArgumentException.class, () -> LoraMerge.merge(base, valueOnly, Map.of()));
  }

  @Test
  void savesInPeftsLayout() throws IOException {
    LoraAdapter adapter = LoraConfig.DEFAULT.withRank(2, 8).create(TinyModel.BERT);
    ComputationGraph graph = trained(adapter);
    Map<String, INDArray> parameters = graph.getLayer("encoder").paramTable();
    Path folder = dir.resolve("yo-lora");
    ArtifactLineage lineage = new ArtifactLineage(null, "yo", null, null, List.of(), null, null, null, Map.of(), null);
    AdapterArtifact.write(folder, adapter, parameters, model, lineage, "yo");

    try (SafetensorsCheckpoint weights = SafetensorsCheckpoint.open(folder.resolve("adapter_model.safetensors"))) {
      Set<String> expected = new TreeSet<>();
      for (int layer = 0; layer < 2; layer++) {
        for (String module : List.of("query", "value")) {
          for (String factor : List.of("A", "B")) {
            expected.add(String.format("base_model.model.encoder.layer.%d.attention.self.%s.lora_%s.weight", layer, module, factor));
          }
        }
      }
      assertEquals(expected, new TreeSet<>(weights.names()));
      String queryA = "base_model.model.encoder.layer.0.attention.self.query.lora_A.weight";
      String valueB = "base_model.model.encoder.layer.1.attention.self.value.lora_B.weight";
      // torch Linear layout: lora_A [r, in], lora_B [out, r], the transposes of A [in, r] and B [r, out]
      assertArrayEquals(new long[] {2, 8}, weights.shape(queryA));
      assertArrayEquals(new long[] {8, 2}, weights.shape(valueB));
      assertArrayEquals(
          EncoderGraphs.floats(parameters.get(LoraAdapter.name(0, Projection.QUERY, "A")).transpose()), weights.tensor(queryA).toFloats());
      assertArrayEquals(
          EncoderGraphs.floats(parameters.get(LoraAdapter.name(1, Projection.VALUE, "B")).transpose()), weights.tensor(valueB).toFloats());
    }
    JsonNode config = new ObjectMapper().readTree(folder.resolve("adapter_config.json").toFile());
    assertEquals("LORA", config.path("peft_type").asText());
    assertEquals(2, config.path("r").asInt());
    assertTrue(config.path("lora_alpha").isIntegralNumber(), "PEFT's lora_alpha is an int");
    assertEquals(8, config.path("lora_alpha").asInt());
    assertEquals(0.0, config.path("lora_dropout").asDouble());
    assertEquals("[\"query\",\"value\"]", config.path("target_modules").toString());
    assertEquals("none", config.path("bias").asText());
    assertEquals(model.directory().getFileName().toString(), config.path("base_model_name_or_path").asText());
    assertFalse(config.path("fan_in_fan_out").asBoolean());
    assertTrue(config.path("inference_mode").asBoolean());
    assertTrue(config.path("init_lora_weights").asBoolean());
    for (String absent : List.of("task_type", "layers_to_transform", "modules_to_save")) {
      assertTrue(config.path(absent).isNull(), absent + " is null");
    }
    assertEquals("lora", config.path(AdapterArtifact.BLOCK).path("method").asText());

    LoadedAdapter loaded = AdapterArtifact.read(folder, model);
    assertEquals(adapter.config(), loaded.adapter().config());
    EncoderGraphs.assertRestoresExactly(graph, loaded, model);
  }

  @Test
  void travelsInDl4jJsonAndJavaSerialization() throws Exception {
    LoraConfig config = new LoraConfig(3, 6, 0, List.of("key", "output.dense"), List.of(1));
    ComputationGraphConfiguration configuration =
        EncoderGraphs.hiddenStates(model, config.create(TinyModel.BERT)).getConfiguration();
    String json = configuration.toJson();
    assertEquals(config, adapterOf(ComputationGraphConfiguration.fromJson(json)).config());

    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(configuration);
    }
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      assertEquals(config, adapterOf((ComputationGraphConfiguration) in.readObject()).config());
    }
  }

  private static LoraAdapter adapterOf(ComputationGraphConfiguration configuration) {
    LayerVertex vertex = (LayerVertex) configuration.getVertices().get("encoder");
    return (LoraAdapter) ((EncoderLayer) vertex.getLayerConf().getLayer()).adapter();
  }

  @Test
  void writesTargetModulesPeftMatchesExactly() {
    PythonNames names = PythonNames.of(model, "x");
    // PEFT's suffix "output.dense" would also catch attention.output.dense: a regular expression, layers in it
    JsonNode regex = new LoraConfig(8, 8, 0, List.of("query", "output.dense"), List.of(1, 3)).pythonConfig(names);
    String pattern = regex.path("target_modules").asText();
    assertTrue(regex.path("layers_to_transform").isNull(), "PEFT refuses layers_to_transform beside a regex");
    assertTrue("encoder.layer.3.output.dense".matches(pattern), pattern);
    assertTrue("bert.encoder.layer.1.attention.self.query".matches(pattern), pattern);
    assertFalse("encoder.layer.3.attention.output.dense".matches(pattern), pattern);
    assertFalse("encoder.layer.3.attention.self.value".matches(pattern), pattern);
    assertFalse("encoder.layer.2.output.dense".matches(pattern), pattern);
    assertFalse("encoder.layer.13.output.dense".matches(pattern), pattern);
    assertTrue("encoder.layer.11.output.dense".matches(LoraConfig.DEFAULT.withTargets(List.of("output.dense")).pythonConfig(names).path("target_modules").asText()));

    JsonNode list = new LoraConfig(8, 8, 0, List.of("value", "attention.output.dense", "output.dense"), List.of(1)).pythonConfig(names);
    assertEquals("[\"value\",\"attention.output.dense\",\"output.dense\"]", list.path("target_modules").toString());
    assertEquals("[1]", list.path("layers_to_transform").toString());
  }

  @Test
  void rejectsConfigsItCannotHonour() {
    assertThrows(IllegalArgumentException.class, () -> LoraConfig.DEFAULT.withRank(0, 8));
    IllegalArgumentException unknown =
        assertThrows(IllegalArgumentException.class, () -> LoraConfig.DEFAULT.withTargets(List.of("query", "dense")));
    for (String known : EVERY_MODULE) {
      assertTrue(unknown.getMessage().contains(known), unknown.getMessage());
    }
    IllegalArgumentException twice =
        assertThrows(IllegalArgumentException.class, () -> LoraConfig.DEFAULT.withTargets(List.of("query", "attention.self.query")));
    assertTrue(twice.getMessage().contains("twice"), twice.getMessage());
    IllegalArgumentException dropout =
        assertThrows(IllegalArgumentException.class, () -> new LoraConfig(8, 8, 0.1, List.of("query"), null));
    assertTrue(dropout.getMessage().contains("only 0.0"), dropout.getMessage());
    IllegalArgumentException layer =
        assertThrows(IllegalArgumentException.class, () -> new LoraConfig(8, 8, 0, List.of("query"), List.of(2)).create(TinyModel.BERT));
    assertTrue(layer.getMessage().contains("0..1"), layer.getMessage());
    // PEFT: an empty layers_to_transform means every layer
    assertNull(new LoraConfig(8, 8, 0, List.of("query"), List.of()).layersToTransform());
  }
}
