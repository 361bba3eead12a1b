package dev.adapterforge.ops.encoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.adapterforge.ops.adapters.LoadedAdapter;
import dev.adapterforge.ops.model.BaseModel;
import java.util.Random;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

/** Float networks of the encoder with an adapter (or none) on a tiny model, for tests. */
public final class EncoderGraphs {
  public static final int LENGTH = 5;

  private EncoderGraphs() {}

  /** The encoder emitting hidden states, with {@code adapter} (or none) initialised. */
  public static ComputationGraph hiddenStates(BaseModel model, EncoderAdapter adapter) {
    return graph(new EncoderLayer(model, EncoderLayer.Output.HIDDEN_STATES, adapter));
  }

  /** The encoder emitting MLM logits, with {@code adapter} (or none) initialised. */
  public static ComputationGraph mlmLogits(BaseModel model, EncoderAdapter adapter) {
    return graph(new EncoderLayer(model, EncoderLayer.Output.MLM_LOGITS, adapter));
  }

  private static ComputationGraph graph(EncoderLayer encoder) {
    ComputationGraph graph =
        new ComputationGraph(
            new NeuralNetConfiguration.Builder()
                .seed(1)
                .updater(new Adam(1e-3))
                .graphBuilder()
                .addInputs("ids")
                .setInputTypes(InputType.recurrent(1, LENGTH))
                .addLayer("encoder", encoder, "ids")
                .setOutputs("encoder")
                .build());
    graph.init();
    return graph;
  }

  /**
   * Asserts that an adapter read back from its artifact has the saved network's parameters and
   * computes its MLM logits, bit for bit.
   */
  public static void assertRestoresExactly(ComputationGraph saved, LoadedAdapter loaded, BaseModel model) {
    ComputationGraph restored = mlmLogits(model, loaded.adapter());
    loaded.parameters().forEach((name, value) -> restored.getLayer("encoder").paramTable().get(name).assign(value));
    assertArrayEquals(floats(saved.params()), floats(restored.params()));
    INDArray ids = sampleIds();
    assertArrayEquals(floats(saved.outputSingle(ids)), floats(restored.outputSingle(ids)));
  }

  /** Every element, row-major, for comparisons bit for bit (INDArray.equals allows 1e-5). */
  public static float[] floats(INDArray array) {
    return array.castTo(DataType.FLOAT).dup('c').data().asFloat();
  }

  /** Three sequences of random real-token ids, as the layer reads them: [3, 1, LENGTH] floats. */
  public static INDArray sampleIds() {
    INDArray ids = Nd4j.createFromArray(TinyModel.randomIds(new Random(8), 3, LENGTH)).castTo(DataType.FLOAT);
    return ids.reshape(3, 1, LENGTH);
  }
}
