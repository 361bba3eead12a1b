package dev.adapterforge.ops.adapters.invertible;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adapterforge.ops.adapters.AdapterArtifact;
import dev.adapterforge.ops.encoder.EncoderGraphs;
import dev.adapterforge.ops.adapters.ArtifactLineage;
import dev.adapterforge.ops.adapters.LoadedAdapter;
import dev.adapterforge.ops.checkpoint.SafetensorsCheckpoint;
import dev.adapterforge.ops.encoder.GradientChecks;
import dev.adapterforge.ops.encoder.HookContext;
import dev.adapterforge.ops.encoder.TinyModel;
import dev.adapterforge.ops.model.BaseModel;
import dev.adapterforge.ops.model.HiddenActivation;
import dev.adapterforge.ops.model.ModelArchitecture;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class InvertibleAdapterTest {
  private static final InvertibleConfig TINY = InvertibleConfig.DEFAULT.withReductionFactors(2, 2);

  @TempDir static Path dir;
  private static BaseModel model;

  @BeforeAll
  static void tinyModel() throws IOException {
    model = GradientChecks.tinyModel(dir.resolve("models"), HiddenActivation.GELU_ERF);
  }

  @Test
  void gradientsMatchFiniteDifferences() {
    assertTrue(GradientChecks.passes(model, TINY.create(TinyModel.BERT)));
  }

  /** The coupling alone, on random states, with large random parameters: forward then inverse. */
  @Test
  void theInverseUndoesTheCouplingToFloatPrecision() {
    // an odd width: halves of 3 and 4 features, as the library splits 7
    ModelArchitecture odd =
        new ModelArchitecture("bert", 1, 7, 1, 8, 16, 20, 2, HiddenActivation.GELU_ERF, 1e-12, 0, 0);
    InvertibleAdapter adapter = InvertibleConfig.DEFAULT.withReductionFactors(1, 1).create(odd);
    SameDiff sd = SameDiff.create();
    SDLayerParams declared = new SDLayerParams();
    adapter.defineParameters(declared, odd);
    Map<String, SDVariable> parameters = new LinkedHashMap<>();
    declared.getParamShapes().forEach((name, shape) -> parameters.put(name, sd.constant(name, Nd4j.randn(DataType.FLOAT, shape))));
    HookContext context = new HookContext(sd, parameters);
    SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, 7);
    SDVariable coupled = adapter.embeddingOutput(context, x);
    SDVariable restored = adapter.beforeOutputEmbeddings(context, coupled);

    INDArray states = Nd4j.randn(DataType.FLOAT, 50, 7).muli(3);
    Map<String, INDArray> out = sd.output(Map.of("x", states), coupled.name(), restored.name());
    assertTrue(out.get(coupled.name()).sub(states).amaxNumber().doubleValue() > 0.1, "the coupling changes its input");
    // float rounding grows with the largest value the round trip passes through, which the CPU's kernels round differently
    double magnitude = Math.max(states.amaxNumber().doubleValue(), out.get(coupled.name()).amaxNumber().doubleValue());
    double error = out.get(restored.name()).sub(states).amaxNumber().doubleValue();
    assertTrue(error <= 1e-5 * magnitude, "round-trip error " + error + " against values up to " + magnitude);
  }

  @Test
  void aSilentAdapterIsTheIdentity() {
    ComputationGraph adapted = EncoderGraphs.mlmLogits(model, TINY.create(TinyModel.BERT));
    adapted.getLayer("encoder").paramTable().forEach((name, value) -> {
      if (name.contains(".out.") || name.contains(".up.")) {
        value.assign(0);
      }
    });
    INDArray ids = EncoderGraphs.sampleIds();
    double difference =
        EncoderGraphs.mlmLogits(model, null).outputSingle(ids).sub(adapted.outputSingle(ids)).amaxNumber().doubleValue();
    assertEquals(0, difference, 1e-5);
  }

  @Test
  void savesUnderTheAdaptersLibrarysInvertibleKeys() throws IOException {
    InvertibleAdapter adapter = TINY.create(TinyModel.BERT);
    ComputationGraph graph = EncoderGraphs.mlmLogits(model, adapter);
    graph.params().assign(Nd4j.rand(DataType.FLOAT, graph.params().shape()).subi(0.5));
    Path folder = dir.resolve("sw-seq_bn_inv");
    ArtifactLineage lineage = new ArtifactLineage(null, "sw", null, null, List.of(), null, null, null, Map.of(), null);
    AdapterArtifact.write(folder, adapter, graph.getLayer("encoder").paramTable(), model, lineage, "sw");

    try (SafetensorsCheckpoint weights = SafetensorsCheckpoint.open(folder.resolve("adapter.safetensors"))) {
      List<String> names = weights.names();
      for (String key : List.of("F.0.weight", "F.0.bias", "F.2.weight", "F.2.bias", "G.0.weight", "G.2.bias")) {
        assertTrue(names.contains("bert.invertible_adapters.sw." + key), names.toString());
      }
      // F: Linear(4 -> 2) then Linear(2 -> 4), torch layout [out, in]
      assertEquals(List.of(2L, 4L), toList(weights.shape("bert.invertible_adapters.sw.F.0.weight")));
      assertTrue(names.contains("bert.encoder.layer.1.output.adapters.sw.adapter_up.weight"), names.toString());
    }
    LoadedAdapter loaded = AdapterArtifact.read(folder, model);
    assertEquals(TINY, loaded.adapter().config());
    EncoderGraphs.assertRestoresExactly(graph, loaded, model);
  }

  @Test
  void rejectsConfigsThatDoNotFit() {
    assertThrows(IllegalArgumentException.class, () -> new InvertibleConfig(16, "relu", List.of(), 0));
    assertThrows(IllegalArgumentException.class, () -> InvertibleConfig.DEFAULT.withReductionFactors(2, 8).create(TinyModel.BERT));
  }

  private static List<Long> toList(long[] shape) {
    return Arrays.stream(shape).boxed().toList();
  }
}
