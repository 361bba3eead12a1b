package dev.adapterforge.ops.encoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adapterforge.ops.model.BaseModel;
import dev.adapterforge.ops.model.HiddenActivation;
import dev.adapterforge.ops.model.ModelArchitecture;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.config.Configurator;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.RnnLossLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * Double-precision gradient checks of everything that trains through the encoder: a tiny model (2
 * layers, hidden 8, 2 heads, vocabulary 20) with {@link HookProbe}'s tensors at every hook point,
 * MLM loss on some tokens of a padded batch. Also pins DL4J's backprop defect (REFERENCE 1b): if a
 * release fixes it, the corrected layer's check fails here and the correction must go.
 */
class EncoderGradientCheckTest {
  private static final int BATCH = 3;
  private static final int LENGTH = 6;

  /** Real tokens per sequence; the rest is padding. */
  private static final int[] LENGTHS = {6, 4, 3};

  private static DataType previousDataType;
  private static DataType previousFloatingType;

  @TempDir static Path models;

  @BeforeAll
  static void doublePrecision() {
    previousDataType = Nd4j.dataType();
    previousFloatingType = Nd4j.defaultFloatingPointType();
    Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
  }

  @AfterAll
  static void restorePrecision() {
    Nd4j.setDefaultDataTypes(previousDataType, previousFloatingType);
  }

  @ParameterizedTest
  @EnumSource(
      value = HiddenActivation.class,
      names = {"GELU_ERF", "GELU_TANH"})
  void backpropMatchesFiniteDifferences(HiddenActivation activation) throws IOException {
    ComputationGraph graph =
        graph(
            new EncoderLayer(
                model(activation), EncoderLayer.Output.MLM_LOGITS, new HookProbe(2, 4)));

    // GradientCheckUtil reports its largest relative error at INFO: keep it in the build log
    Level level = LogManager.getLogger(GradientCheckUtil.class).getLevel();
    Configurator.setLevel(GradientCheckUtil.class, Level.INFO);
    try {
      assertTrue(GradientCheckUtil.checkGradients(check(graph)), "the log names the failures");
    } finally {
      Configurator.setLevel(GradientCheckUtil.class, level);
    }
  }

  /**
   * The defect the correction undoes: without it, every gradient is exactly twice the numerical
   * one, so the check above could not pass without the correction.
   */
  @Test
  void dl4jReturnsTwiceTheGradientUncorrected() throws IOException {
    ComputationGraph graph = graph(new UncorrectedEncoderLayer(model(HiddenActivation.GELU_ERF)));

    assertFalse(GradientCheckUtil.checkGradients(check(graph).exitOnFirstError(true)));

    MultiDataSet batch = batch();
    graph.setInputs(batch.getFeatures());
    graph.setLabels(batch.getLabels());
    graph.setLayerMaskArrays(batch.getFeaturesMaskArrays(), batch.getLabelsMaskArrays());
    graph.computeGradientAndScore();
    // summed over the batch, where the score is its mean: DL4J's updater divides by the batch size
    INDArray backprop = graph.gradient().gradient().div(BATCH);
    INDArray parameters = graph.params();
    double epsilon = 1e-6;
    int checked = 0;
    for (long i = 0; i < parameters.length(); i += 37) {
      double original = parameters.getDouble(i);
      parameters.putScalar(i, original + epsilon);
      double plus = graph.score(batch, true);
      parameters.putScalar(i, original - epsilon);
      double minus = graph.score(batch, true);
      parameters.putScalar(i, original);
      double numerical = (plus - minus) / (2 * epsilon);
      if (Math.abs(numerical) > 1e-6) {
        assertEquals(2.0, backprop.getDouble(i) / numerical, 1e-4, "parameter " + i);
        checked++;
      }
    }
    assertTrue(checked > 5, "too few parameters with a measurable gradient: " + checked);
  }

  /** The layer with DL4J's gradient as it comes, to show the defect. */
  private static final class UncorrectedEncoderLayer extends EncoderLayer {
    private static final long serialVersionUID = 1L;

    UncorrectedEncoderLayer(BaseModel model) {
      super(model, Output.MLM_LOGITS, new HookProbe(2, 4));
    }

    @Override
    double backpropCorrection() {
      return 1;
    }
  }

  private static BaseModel model(HiddenActivation activation) throws IOException {
    ModelArchitecture architecture = TinyModel.bert(activation);
    return TinyModel.write(
        models.resolve(activation.configName()),
        architecture,
        TinyModel.huggingFaceWeights(TinyModel.tensorFlowWeights(architecture, 1), false));
  }

  private static ComputationGraph graph(EncoderLayer encoder) {
    ComputationGraph graph =
        new ComputationGraph(
            new NeuralNetConfiguration.Builder()
                .dataType(DataType.DOUBLE)
                .seed(7)
                .updater(new NoOp())
                .graphBuilder()
                .addInputs("ids")
                .setInputTypes(InputType.recurrent(1, LENGTH))
                .addLayer("encoder", encoder, "ids")
                .addLayer(
                    "mlm",
                    new RnnLossLayer.Builder(LossFunction.MCXENT)
                        .activation(Activation.SOFTMAX)
                        .build(),
                    "encoder")
                .setOutputs("mlm")
                .build());
    graph.init();
    return graph;
  }

  /** Random ids, padded on the right; MLM targets on two real tokens per sequence. */
  private static MultiDataSet batch() {
    Random random = new Random(3);
    int vocabulary = TinyModel.VOCABULARY.size();
    INDArray ids = Nd4j.zeros(DataType.DOUBLE, BATCH, 1, LENGTH);
    INDArray attentionMask = Nd4j.zeros(DataType.DOUBLE, BATCH, LENGTH);
    INDArray labels = Nd4j.zeros(DataType.DOUBLE, BATCH, vocabulary, LENGTH);
    INDArray labelMask = Nd4j.zeros(DataType.DOUBLE, BATCH, LENGTH);
    for (int row = 0; row < BATCH; row++) {
      for (int position = 0; position < LENGTHS[row]; position++) {
        ids.putScalar(row, 0, position, 5 + random.nextInt(vocabulary - 5));
        attentionMask.putScalar(row, position, 1);
      }
      for (int position : new int[] {1, LENGTHS[row] - 1}) {
        labels.putScalar(row, random.nextInt(vocabulary), position, 1);
        labelMask.putScalar(row, position, 1);
      }
    }
    return new MultiDataSet(
        new INDArray[] {ids},
        new INDArray[] {labels},
        new INDArray[] {attentionMask},
        new INDArray[] {labelMask});
  }

  private static GradientCheckUtil.GraphConfig check(ComputationGraph graph) {
    MultiDataSet batch = batch();
    return new GradientCheckUtil.GraphConfig()
        .net(graph)
        .inputs(batch.getFeatures())
        .labels(batch.getLabels())
        .inputMask(batch.getFeaturesMaskArrays())
        .labelMask(batch.getLabelsMaskArrays())
        .epsilon(1e-6)
        .maxRelError(1e-5)
        // finite differences of a score near 16 carry ~2e-9 of rounding noise at this epsilon
        .minAbsoluteError(1e-8);
  }
}
