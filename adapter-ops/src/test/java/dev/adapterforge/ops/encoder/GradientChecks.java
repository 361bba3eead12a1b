package dev.adapterforge.ops.encoder;

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
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * Double-precision gradient checks of an adapter trained through the encoder: a tiny model (2
 * layers, hidden 8, 2 heads, vocabulary 20), MLM loss on some tokens of a padded batch.
 */
public final class GradientChecks {
  static final int BATCH = 3;
  static final int LENGTH = 6;

  /** Real tokens per sequence; the rest is padding. */
  private static final int[] LENGTHS = {6, 4, 3};

  private GradientChecks() {}

  /** A tiny model folder with this activation, written under {@code models}. */
  public static BaseModel tinyModel(Path models, HiddenActivation activation) throws IOException {
    ModelArchitecture architecture = TinyModel.bert(activation);
    return TinyModel.write(
        models.resolve(activation.configName()),
        architecture,
        TinyModel.huggingFaceWeights(TinyModel.tensorFlowWeights(architecture, 1), false));
  }

  /**
   * Whether backprop through the adapter matches finite differences for every parameter, in double
   * precision; the log names failures and the largest relative error.
   */
  public static boolean passes(BaseModel model, EncoderAdapter adapter) {
    DataType previous = Nd4j.dataType();
    DataType previousFloating = Nd4j.defaultFloatingPointType();
    Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
    try {
      return passes(graph(new EncoderLayer(model, EncoderLayer.Output.MLM_LOGITS, adapter)));
    } finally {
      Nd4j.setDefaultDataTypes(previous, previousFloating);
    }
  }

  /** {@link #passes(BaseModel, EncoderAdapter)} through the MLM head of {@link MaskedLmLoss}. */
  public static boolean passesWithMaskedLmLoss(BaseModel model, EncoderAdapter adapter) {
    DataType previous = Nd4j.dataType();
    DataType previousFloating = Nd4j.defaultFloatingPointType();
    Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
    try {
      Level level = LogManager.getLogger(GradientCheckUtil.class).getLevel();
      Configurator.setLevel(GradientCheckUtil.class, Level.INFO);
      try {
        MultiDataSet batch = targetIdBatch();
        return GradientCheckUtil.checkGradients(
            check(maskedLmLossGraph(model, adapter), batch));
      } finally {
        Configurator.setLevel(GradientCheckUtil.class, level);
      }
    } finally {
      Nd4j.setDefaultDataTypes(previous, previousFloating);
    }
  }

  static ComputationGraph maskedLmLossGraph(BaseModel model, EncoderAdapter adapter) {
    return maskedLmLossGraph(model, adapter, new MaskedLmLoss(model));
  }

  static ComputationGraph maskedLmLossGraph(BaseModel model, EncoderAdapter adapter, MaskedLmLoss loss) {
    return graph(
        new EncoderLayer(model, EncoderLayer.Output.MLM_TRANSFORMED, adapter),
        new RnnLossLayer.Builder().lossFunction(loss).activation(Activation.IDENTITY).build());
  }

  /** {@link #batch()} with each target as its id, [batch, 1, length], as {@link MaskedLmLoss} reads it. */
  static MultiDataSet targetIdBatch() {
    MultiDataSet oneHot = batch();
    INDArray ids = oneHot.getLabels(0).argMax(1).castTo(DataType.DOUBLE).reshape(BATCH, 1, LENGTH);
    return new MultiDataSet(
        oneHot.getFeatures(), new INDArray[] {ids}, oneHot.getFeaturesMaskArrays(), oneHot.getLabelsMaskArrays());
  }

  static boolean passes(ComputationGraph graph) {
    // GradientCheckUtil reports its largest relative error at INFO: keep it in the build log
    Level level = LogManager.getLogger(GradientCheckUtil.class).getLevel();
    Configurator.setLevel(GradientCheckUtil.class, Level.INFO);
    try {
      return GradientCheckUtil.checkGradients(check(graph));
    } finally {
      Configurator.setLevel(GradientCheckUtil.class, level);
    }
  }

  static ComputationGraph graph(EncoderLayer encoder) {
    return graph(
        encoder,
        new RnnLossLayer.Builder(LossFunction.MCXENT).activation(Activation.SOFTMAX).build());
  }

  static ComputationGraph graph(EncoderLayer encoder, RnnLossLayer loss) {
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
                .addLayer("mlm", loss, "encoder")
                .setOutputs("mlm")
                .build());
    graph.init();
    return graph;
  }

  /** Random ids, padded on the right; MLM targets on two real tokens per sequence. */
  static MultiDataSet batch() {
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

  static GradientCheckUtil.GraphConfig check(ComputationGraph graph) {
    return check(graph, batch());
  }

  static GradientCheckUtil.GraphConfig check(ComputationGraph graph, MultiDataSet batch) {
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
