package dev.adapterforge.ops.encoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adapterforge.ops.model.BaseModel;
import dev.adapterforge.ops.model.HiddenActivation;
import java.io.IOException;
import java.nio.file.Path;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Double-precision gradient checks of everything that trains through the encoder: a tiny model (2
 * layers, hidden 8, 2 heads, vocabulary 20) with {@link HookProbe}'s tensors at every hook point,
 * MLM loss on some tokens of a padded batch. Also pins DL4J's backprop defect (REFERENCE 1b): if a
 * release fixes it, the corrected layer's check fails here and the correction must go.
 */
class EncoderGradientCheckTest {
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
    assertTrue(
        GradientChecks.passes(GradientChecks.tinyModel(models, activation), new HookProbe(2, 4)),
        "the log names the failures");
  }

  /**
   * The defect the correction undoes: without it, every gradient is exactly twice the numerical
   * one, so the check above could not pass without the correction.
   */
  @Test
  void dl4jReturnsTwiceTheGradientUncorrected() throws IOException {
    ComputationGraph graph =
        GradientChecks.graph(
            new UncorrectedEncoderLayer(GradientChecks.tinyModel(models, HiddenActivation.GELU_ERF)));

    assertFalse(GradientCheckUtil.checkGradients(GradientChecks.check(graph).exitOnFirstError(true)));

    MultiDataSet batch = GradientChecks.batch();
    graph.setInputs(batch.getFeatures());
    graph.setLabels(batch.getLabels());
    graph.setLayerMaskArrays(batch.getFeaturesMaskArrays(), batch.getLabelsMaskArrays());
    graph.computeGradientAndScore();
    // summed over the batch, where the score is its mean: DL4J's updater divides by the batch size
    INDArray backprop = graph.gradient().gradient().div(GradientChecks.BATCH);
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
}
