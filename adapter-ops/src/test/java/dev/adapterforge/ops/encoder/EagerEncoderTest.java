package dev.adapterforge.ops.encoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adapterforge.ops.adapters.AdapterConfig;
import dev.adapterforge.ops.adapters.bottleneck.BottleneckConfig;
import dev.adapterforge.ops.adapters.invertible.InvertibleConfig;
import dev.adapterforge.ops.adapters.lora.LoraConfig;
import dev.adapterforge.ops.model.BaseModel;
import dev.adapterforge.ops.model.HiddenActivation;
import dev.adapterforge.ops.model.ModelArchitecture;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.RnnLossLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * The correctness guard of the eager training runtime: on a fixed padded batch, in float as
 * training runs, the eager runtime and the SameDiff reference give the same loss and the same
 * adapter gradients (relative difference below 1e-4), for every method with an eager form and both
 * MLM heads, and one Adam step leaves the same parameters. (Both runtimes also pass the
 * double-precision finite-difference checks of each adapter's own test.)
 */
class EagerEncoderTest {
  private static final double TOLERANCE = 1e-4;

  /** Wider than {@link TinyModel#BERT}, so that every reference adapter has room: hidden 32, 4 heads. */
  private static final ModelArchitecture ARCHITECTURE =
      new ModelArchitecture(
          "bert", 2, 32, 4, 64, 16, TinyModel.VOCABULARY.size(), 2, HiddenActivation.GELU_ERF, 1e-12, 0, 0);

  @TempDir static Path models;
  private static BaseModel model;

  @BeforeAll
  static void model() throws IOException {
    model =
        TinyModel.write(
            models.resolve("bert-32"),
            ARCHITECTURE,
            TinyModel.huggingFaceWeights(TinyModel.tensorFlowWeights(ARCHITECTURE, 5), false));
  }

  static Stream<Arguments> methodsAndHeads() {
    List<AdapterConfig> configs = List.of(BottleneckConfig.DEFAULT, InvertibleConfig.DEFAULT, LoraConfig.DEFAULT);
    return configs.stream()
        .flatMap(
            config ->
                Stream.of(EncoderLayer.Output.MLM_TRANSFORMED, EncoderLayer.Output.MLM_LOGITS)
                    .map(output -> Arguments.of(config.method().id(), config, output)));
  }

  @ParameterizedTest(name = "{0} {2}")
  @MethodSource("methodsAndHeads")
  void eagerRuntimeMatchesSameDiff(String method, AdapterConfig config, EncoderLayer.Output output) {
    EncoderLayer layer = new EncoderLayer(model, output, config.create(ARCHITECTURE));
    ComputationGraph eager = graph(layer.withRuntime(EncoderLayer.Runtime.EAGER), output);
    ComputationGraph reference = graph(layer.withRuntime(EncoderLayer.Runtime.SAMEDIFF), output);
    // away from initialisation, so that every path carries gradient (LoRA's B starts at zero)
    Nd4j.getRandom().setSeed(7);
    INDArray parameters = Nd4j.randn(DataType.FLOAT, eager.params().shape()).muli(0.1);
    eager.setParams(parameters);
    reference.setParams(parameters);
    MultiDataSet batch = batch(output);

    computeGradient(eager, batch);
    computeGradient(reference, batch);

    assertEquals(reference.score(), eager.score(), TOLERANCE * Math.abs(reference.score()), "loss");
    assertClose(reference.gradient().gradient(), eager.gradient().gradient(), "gradients");

    eager.fit(batch);
    reference.fit(batch);

    assertClose(reference.params(), eager.params(), "parameters after an Adam step");
  }

  static Stream<Arguments> methods() {
    return Stream.of(BottleneckConfig.DEFAULT, InvertibleConfig.DEFAULT, LoraConfig.DEFAULT)
        .map(config -> Arguments.of(config.method().id(), config));
  }

  /**
   * With the masked positions marked predicted, the eager runtime computes the last layer and the
   * MLM head at those alone: the loss, gradients and an Adam step match SameDiff's every-row pass.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("methods")
  void lastLayerAtPredictedRowsMatchesEveryRow(String method, AdapterConfig config) {
    EncoderLayer layer =
        new EncoderLayer(model, EncoderLayer.Output.MLM_TRANSFORMED, config.create(ARCHITECTURE)).withPredictedRowsOnly();
    ComputationGraph eager = graph(layer.withRuntime(EncoderLayer.Runtime.EAGER), EncoderLayer.Output.MLM_TRANSFORMED);
    ComputationGraph reference = graph(layer.withRuntime(EncoderLayer.Runtime.SAMEDIFF), EncoderLayer.Output.MLM_TRANSFORMED);
    Nd4j.getRandom().setSeed(7);
    INDArray parameters = Nd4j.randn(DataType.FLOAT, eager.params().shape()).muli(0.1);
    eager.setParams(parameters);
    reference.setParams(parameters);
    MultiDataSet batch = batch(EncoderLayer.Output.MLM_TRANSFORMED);
    INDArray mask = batch.getFeaturesMaskArray(0);
    mask.addi(batch.getLabelsMaskArray(0).mul(EncoderLayer.PREDICTED - 1));
    assertEquals(EncoderLayer.PREDICTED, mask.maxNumber().floatValue(), "the batch marks predicted tokens");

    computeGradient(eager, batch);
    computeGradient(reference, batch);

    assertEquals(reference.score(), eager.score(), TOLERANCE * Math.abs(reference.score()), "loss");
    assertClose(reference.gradient().gradient(), eager.gradient().gradient(), "gradients");
    INDArray states = eager.feedForward(batch.getFeatures(), false).get("encoder");
    INDArray unpredicted = states.mul(Transforms.min(mask, 1, true).sub(batch.getLabelsMaskArray(0)).reshape(mask.size(0), 1, mask.size(1)));
    assertEquals(0, unpredicted.amaxNumber().doubleValue(), "rows nobody predicts are left zero");

    eager.fit(batch);
    reference.fit(batch);

    assertClose(reference.params(), eager.params(), "parameters after an Adam step");
  }

  private static void computeGradient(ComputationGraph graph, MultiDataSet batch) {
    graph.setInputs(batch.getFeatures());
    graph.setLabels(batch.getLabels());
    graph.setLayerMaskArrays(batch.getFeaturesMaskArrays(), batch.getLabelsMaskArrays());
    graph.computeGradientAndScore();
  }

  /** Largest difference relative to the reference's largest magnitude. */
  private static void assertClose(INDArray expected, INDArray actual, String what) {
    double scale = expected.amaxNumber().doubleValue();
    double difference = expected.sub(actual).amaxNumber().doubleValue();
    assertTrue(scale > 0, what + " are all zero: the comparison would prove nothing");
    assertTrue(
        difference <= TOLERANCE * scale,
        String.format("%s differ by %.3g relative to their largest magnitude %.3g", what, difference / scale, scale));
  }

  private static ComputationGraph graph(EncoderLayer encoder, EncoderLayer.Output output) {
    RnnLossLayer loss =
        output == EncoderLayer.Output.MLM_LOGITS
            ? new RnnLossLayer.Builder(LossFunction.MCXENT).activation(Activation.SOFTMAX).build()
            : new RnnLossLayer.Builder().lossFunction(new MaskedLmLoss(model)).activation(Activation.IDENTITY).build();
    ComputationGraph graph =
        new ComputationGraph(
            new NeuralNetConfiguration.Builder()
                .dataType(DataType.FLOAT)
                .seed(11)
                .updater(new Adam(1e-2))
                .graphBuilder()
                .addInputs("ids")
                .setInputTypes(InputType.recurrent(1, GradientChecks.LENGTH))
                .addLayer("encoder", encoder, "ids")
                .addLayer("mlm", loss, "encoder")
                .setOutputs("mlm")
                .build());
    graph.init();
    return graph;
  }

  /** {@link GradientChecks}' padded batch in float, labels as each head's loss reads them. */
  private static MultiDataSet batch(EncoderLayer.Output output) {
    MultiDataSet batch =
        output == EncoderLayer.Output.MLM_LOGITS ? GradientChecks.batch() : GradientChecks.targetIdBatch();
    return new MultiDataSet(
        floats(batch.getFeatures()), floats(batch.getLabels()), floats(batch.getFeaturesMaskArrays()),
        floats(batch.getLabelsMaskArrays()));
  }

  private static INDArray[] floats(INDArray[] arrays) {
    return Stream.of(arrays).map(array -> array.castTo(DataType.FLOAT)).toArray(INDArray[]::new);
  }
}
