package dev.adapterforge.ops.encoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adapterforge.ops.model.BaseModel;
import dev.adapterforge.ops.model.HiddenActivation;
import java.io.IOException;
import java.nio.file.Path;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The cheap MLM objective (head projected at masked rows only) against the straightforward one
 * (logits at every position, softmax, one-hot MCXENT): the same loss and adapter gradients, so the
 * speed-up changes no result.
 */
class MaskedLmLossTest {
  @TempDir static Path models;
  private static BaseModel model;
  private static DataType previous;
  private static DataType previousFloating;

  @BeforeAll
  static void doublePrecision() throws IOException {
    previous = Nd4j.dataType();
    previousFloating = Nd4j.defaultFloatingPointType();
    Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
    model = GradientChecks.tinyModel(models, HiddenActivation.GELU_TANH);
  }

  @AfterAll
  static void restorePrecision() {
    Nd4j.setDefaultDataTypes(previous, previousFloating);
  }

  @Test
  void passesGradientChecks() {
    assertTrue(GradientChecks.passesWithMaskedLmLoss(model, new HookProbe(2, 4)));
  }

  @ParameterizedTest(name = "every position: {0}")
  @ValueSource(booleans = {false, true})
  void givesTheStraightforwardPathsLossAndGradients(boolean everyPosition) {
    ComputationGraph reference = GradientChecks.graph(new EncoderLayer(model, EncoderLayer.Output.MLM_LOGITS, new HookProbe(2, 4)));
    MaskedLmLoss loss = everyPosition ? MaskedLmLoss.atEveryPosition(model) : new MaskedLmLoss(model);
    ComputationGraph cheap = GradientChecks.maskedLmLossGraph(model, new HookProbe(2, 4), loss);
    cheap.setParams(reference.params().add(Nd4j.randn(DataType.DOUBLE, reference.params().shape()).muli(0.1)));
    reference.setParams(cheap.params());

    double referenceScore = scoreAndGradient(reference, GradientChecks.batch());
    INDArray referenceGradient = reference.gradient().gradient().dup();
    double cheapScore = scoreAndGradient(cheap, GradientChecks.targetIdBatch());
    INDArray cheapGradient = cheap.gradient().gradient();

    assertEquals(referenceScore, cheapScore, 1e-4 * referenceScore);
    double relative = cheapGradient.sub(referenceGradient).norm2Number().doubleValue() / referenceGradient.norm2Number().doubleValue();
    assertTrue(relative < 1e-4, "relative gradient difference " + relative);
  }

  /** The gradient pass's score answers DL4J's score call for that batch, and only for it. */
  @Test
  void scoresAnotherBatchAfresh() {
    ComputationGraph trained = GradientChecks.maskedLmLossGraph(model, new HookProbe(2, 4));
    MultiDataSet batch = GradientChecks.targetIdBatch();
    double score = scoreAndGradient(trained, batch);
    assertEquals(score, trained.score(batch), 1e-12 * score);

    // the same rows and targets, other states
    trained.setParams(trained.params().add(0.1));
    ComputationGraph fresh = GradientChecks.maskedLmLossGraph(model, new HookProbe(2, 4));
    fresh.setParams(trained.params());
    double expected = fresh.score(batch);
    assertTrue(Math.abs(expected - score) > 1e-6, "the parameters change the score");
    assertEquals(expected, trained.score(batch), 1e-12 * expected);
  }

  private static double scoreAndGradient(ComputationGraph graph, MultiDataSet batch) {
    graph.setInputs(batch.getFeatures());
    graph.setLabels(batch.getLabels());
    graph.setLayerMaskArrays(batch.getFeaturesMaskArrays(), batch.getLabelsMaskArrays());
    graph.computeGradientAndScore();
    return graph.score();
  }
}
