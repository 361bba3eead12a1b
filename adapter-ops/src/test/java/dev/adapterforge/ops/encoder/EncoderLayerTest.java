package dev.adapterforge.ops.encoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.adapterforge.ops.model.BaseModel;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.IntStream;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** {@link EncoderLayer} inside a DL4J ComputationGraph, on a tiny random model. */
class EncoderLayerTest {
  private static final int LENGTH = 5;

  @TempDir static Path models;
  @TempDir Path dir;

  private static BaseModel model;

  @BeforeAll
  static void writeTinyBert() throws IOException {
    model =
        TinyModel.write(
            models.resolve("tiny"),
            TinyModel.BERT,
            TinyModel.huggingFaceWeights(TinyModel.tensorFlowWeights(TinyModel.BERT, 21), false));
  }

  @Test
  void theNetworkParametersAreTheAdaptersAlone() {
    HookProbe probe = new HookProbe(2, 4);

    assertEquals(probe.parameterCount(TinyModel.BERT), graph(probe).numParams());
    assertEquals(0, graph(null).numParams());
  }

  @Test
  void computesTheEncodersHiddenStatesForPaddedIds() {
    int[][] ids = TinyModel.randomIds(new Random(8), 2, LENGTH);
    float[][] mask = EncoderTest.ones(ids);
    ids[1][LENGTH - 1] = 0;
    mask[1][LENGTH - 1] = 0;

    // [batch, hidden, length] to the encoder's [batch × length, hidden]
    INDArray states =
        graph(null)
            .output(
                false,
                new INDArray[] {layerInput(ids)},
                new INDArray[] {Nd4j.createFromArray(mask)})[0]
            .permute(0, 2, 1)
            .reshape(2L * LENGTH, TinyModel.BERT.hiddenSize());

    // the real positions match the encoder; the padded one is zero, as DL4J's masked time steps are
    int padded = 2 * LENGTH - 1;
    int[] real = IntStream.range(0, padded).toArray();
    EncoderTest.assertClose(
        EncoderTest.hiddenStates(FrozenWeightsCache.get(model, DataType.FLOAT), ids, mask).getRows(real),
        states.getRows(real));
    assertEquals(0.0, states.getRow(padded).amaxNumber().doubleValue());
  }

  @Test
  void survivesJsonJavaSerializationAndModelSerializer() throws Exception {
    ComputationGraph graph = graph(new HookProbe(3, 2));
    ComputationGraphConfiguration configuration = graph.getConfiguration();
    String json = configuration.toJson();

    EncoderLayer fromJson = encoderOf(ComputationGraphConfiguration.fromJson(json));
    assertEquals(json, ComputationGraphConfiguration.fromJson(json).toJson());
    assertInstanceOf(HookProbe.class, fromJson.adapter());
    ComputationGraph rebuilt = new ComputationGraph(ComputationGraphConfiguration.fromJson(json));
    rebuilt.init();
    assertEquals(graph.numParams(), rebuilt.numParams());

    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(configuration);
    }
    try (ObjectInputStream in =
        new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      assertEquals(json, ((ComputationGraphConfiguration) in.readObject()).toJson());
    }

    int[][] ids = TinyModel.randomIds(new Random(9), 3, LENGTH);
    Path file = dir.resolve("graph.zip");
    ModelSerializer.writeModel(graph, file.toFile(), true);
    ComputationGraph restored = ModelSerializer.restoreComputationGraph(file.toFile(), true);
    assertEquals(graph.params(), restored.params());
    EncoderTest.assertClose(
        graph.outputSingle(layerInput(ids)), restored.outputSingle(layerInput(ids)));
  }

  private static EncoderLayer encoderOf(ComputationGraphConfiguration configuration) {
    return (EncoderLayer)
        ((LayerVertex) configuration.getVertices().get("encoder")).getLayerConf().getLayer();
  }

  private static ComputationGraph graph(EncoderAdapter adapter) {
    return EncoderGraphs.hiddenStates(model, adapter);
  }

  /** Ids as the layer reads them, [batch, 1, length] in the network's data type. */
  static INDArray layerInput(int[][] ids) {
    INDArray array = Nd4j.createFromArray(ids).castTo(DataType.FLOAT);
    return array.reshape(array.size(0), 1, array.size(1));
  }
}
