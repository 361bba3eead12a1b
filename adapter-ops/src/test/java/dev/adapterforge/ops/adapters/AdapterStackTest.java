package dev.adapterforge.ops.adapters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adapterforge.ops.adapters.bottleneck.BottleneckConfig;
import dev.adapterforge.ops.encoder.EncoderLayer;
import dev.adapterforge.ops.encoder.EncoderGraphs;
import dev.adapterforge.ops.encoder.GradientChecks;
import dev.adapterforge.ops.encoder.TinyModel;
import dev.adapterforge.ops.model.BaseModel;
import dev.adapterforge.ops.model.HiddenActivation;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** A saved language adapter, frozen, under a trainable task adapter. */
class AdapterStackTest {
  @TempDir static Path dir;
  private static BaseModel model;
  private static LoadedAdapter language;

  @BeforeAll
  static void saveALanguageAdapter() throws IOException {
    model = GradientChecks.tinyModel(dir.resolve("models"), HiddenActivation.GELU_ERF);
    Adapter adapter = BottleneckConfig.DEFAULT.withReductionFactor(2).create(TinyModel.BERT);
    ComputationGraph graph = EncoderGraphs.mlmLogits(model, adapter);
    graph.params().addi(Nd4j.rand(graph.params().dataType(), graph.params().shape()).subi(0.5));
    Path folder = dir.resolve("mt-seq_bn");
    ArtifactLineage lineage =
        new ArtifactLineage(null, "mt", null, null, List.of(), null, null, null, Map.of(), null);
    AdapterArtifact.write(folder, adapter, graph.getLayer("encoder").paramTable(), model, lineage, "mt");
    language = AdapterArtifact.read(folder, model);
  }

  private static AdapterStack stack() {
    return new AdapterStack(
        language, BottleneckConfig.DEFAULT.withReductionFactor(4).create(TinyModel.BERT), TinyModel.BERT);
  }

  @Test
  void onlyTheUpperAdapterTrains() {
    assertEquals(2 * (8 * 2 + 2 + 2 * 8 + 8), EncoderGraphs.hiddenStates(model, stack()).numParams());
  }

  @Test
  void aSilentUpperAdapterLeavesTheLanguageAdaptersOutput() {
    ComputationGraph stacked = EncoderGraphs.hiddenStates(model, stack());
    ComputationGraph languageOnly = EncoderGraphs.hiddenStates(model, language.adapter());
    language.parameters().forEach((name, value) -> languageOnly.getLayer("encoder").paramTable().get(name).assign(value));
    INDArray ids = EncoderGraphs.sampleIds();
    INDArray withUpper = stacked.outputSingle(ids);
    assertNotEquals(0, withUpper.sub(languageOnly.outputSingle(ids)).amaxNumber().doubleValue());

    stacked.getLayer("encoder").paramTable().forEach((name, value) -> {
      if (name.contains(".up.")) {
        value.assign(0);
      }
    });
    assertEquals(0, stacked.outputSingle(ids).sub(languageOnly.outputSingle(ids)).amaxNumber().doubleValue(), 1e-6);
  }

  @Test
  void gradientsReachTheUpperAdapterThroughTheFrozenOne() {
    assertTrue(GradientChecks.passes(model, stack()));
  }

  @Test
  void travelsInTheNetworkConfigurationAsAReference() {
    ComputationGraphConfiguration configuration = EncoderGraphs.hiddenStates(model, stack()).getConfiguration();
    String json = configuration.toJson();
    assertTrue(json.length() < 10_000, "the language adapter's weights stay out of the JSON");
    var layer =
        ((LayerVertex) ComputationGraphConfiguration.fromJson(json).getVertices().get("encoder")).getLayerConf().getLayer();
    AdapterStack restored = assertInstanceOf(AdapterStack.class, ((EncoderLayer) layer).adapter());
    assertEquals(stack().config(), restored.config());
    assertEquals(language.weightsSha256(), restored.lower().weightsSha256());
  }
}
