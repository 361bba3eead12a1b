package dev.adapterforge.ops.adapters.bottleneck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adapterforge.ops.encoder.EncoderGraphs;
import dev.adapterforge.ops.encoder.GradientChecks;
import dev.adapterforge.ops.encoder.TinyModel;
import dev.adapterforge.ops.model.BaseModel;
import dev.adapterforge.ops.model.HiddenActivation;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

class BottleneckAdapterTest {
  @TempDir static Path models;
  private static BaseModel model;

  @BeforeAll
  static void tinyModel() throws IOException {
    model = GradientChecks.tinyModel(models, HiddenActivation.GELU_ERF);
  }

  @Test
  void gradientsMatchFiniteDifferences() {
    // reduction 2 gives hidden 8 a bottleneck of 4; gelu exercises a non-default non-linearity
    assertTrue(GradientChecks.passes(model, new BottleneckConfig(2, "gelu", List.of()).create(TinyModel.BERT)));
    assertTrue(GradientChecks.passes(model, new BottleneckConfig(4, "relu", List.of(0)).create(TinyModel.BERT)));
  }

  @Test
  void hasTheAdaptersLibrarysParameterCount() {
    // per adapted layer: down 8x2 + 2, up 2x8 + 8
    ComputationGraph graph =
        EncoderGraphs.hiddenStates(model, new BottleneckConfig(4, "relu", List.of(1)).create(TinyModel.BERT));
    assertEquals(8 * 2 + 2 + 2 * 8 + 8, graph.numParams());
  }

  @Test
  void anAdapterWithZeroUpProjectionIsTheIdentity() {
    ComputationGraph adapted =
        EncoderGraphs.hiddenStates(model, BottleneckConfig.DEFAULT.withReductionFactor(2).create(TinyModel.BERT));
    for (Map.Entry<String, INDArray> parameter : adapted.getLayer("encoder").paramTable().entrySet()) {
      if (parameter.getKey().contains(".up.")) {
        parameter.getValue().assign(0);
      }
    }
    INDArray bare = EncoderGraphs.hiddenStates(model, null).outputSingle(EncoderGraphs.sampleIds());
    INDArray same = adapted.outputSingle(EncoderGraphs.sampleIds());
    assertEquals(0, bare.sub(same).amaxNumber().doubleValue(), 1e-6);
  }

  @Test
  void rejectsConfigsThatDoNotFit() {
    assertThrows(IllegalArgumentException.class, () -> new BottleneckConfig(0, "relu", List.of()));
    IllegalArgumentException activation =
        assertThrows(IllegalArgumentException.class, () -> new BottleneckConfig(16, "sigmoid", List.of()));
    assertTrue(activation.getMessage().contains("relu"), activation.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new BottleneckConfig(16, "relu", List.of()).create(TinyModel.BERT));
    assertThrows(IllegalArgumentException.class, () -> new BottleneckConfig(2, "relu", List.of(5)).create(TinyModel.BERT));
  }
}
