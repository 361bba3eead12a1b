package dev.adapterforge.ops.encoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adapterforge.ops.checkpoint.CheckpointFormatException;
import dev.adapterforge.ops.checkpoint.Tensor;
import dev.adapterforge.ops.model.BaseModel;
import dev.adapterforge.ops.model.HiddenActivation;
import dev.adapterforge.ops.model.ModelArchitecture;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The encoder's computation and weight loading on tiny random models: checkpoint namings, RoBERTa
 * as a configuration, padding, activations.
 */
class EncoderTest {
  private static final double TOLERANCE = 1e-5;

  @TempDir static Path models;

  private static Map<String, Tensor> tensorFlow;
  private static FrozenWeights bert;

  @BeforeAll
  static void writeTinyBert() throws IOException {
    tensorFlow = TinyModel.tensorFlowWeights(TinyModel.BERT, 11);
    bert =
        FrozenWeights.load(
            TinyModel.write(models.resolve("tensorflow"), TinyModel.BERT, tensorFlow),
            DataType.FLOAT);
  }

  @Test
  void huggingFaceNamesLoadIntoTheSameLayoutAsTensorFlowNames() throws IOException {
    FrozenWeights huggingFace =
        FrozenWeights.load(
            TinyModel.write(
                models.resolve("hugging-face"),
                TinyModel.BERT,
                TinyModel.huggingFaceWeights(tensorFlow, false)),
            DataType.FLOAT);

    for (EncoderTensor tensor : EncoderTensor.values()) {
      for (int layer = 0; layer < tensor.count(TinyModel.BERT); layer++) {
        INDArray expected = bert.get(tensor, layer);
        assertArrayEquals(tensor.shape(TinyModel.BERT), expected.shape(), tensor.key(layer));
        assertArrayEquals(
            expected.data().asFloat(),
            huggingFace.get(tensor, layer).data().asFloat(),
            tensor.key(layer));
      }
    }
  }

  /**
   * XLM-R is a configuration of the same code: BERT's weights under RoBERTa names, with two unused
   * position rows in front (padding_idx + 1), compute BERT's hidden states.
   */
  @Test
  void robertaIsBertWithPositionsOffsetByPaddingIdxPlusOne() throws IOException {
    ModelArchitecture xlmr =
        new ModelArchitecture(
            "xlm-roberta",
            TinyModel.BERT.numHiddenLayers(),
            TinyModel.BERT.hiddenSize(),
            TinyModel.BERT.numAttentionHeads(),
            TinyModel.BERT.intermediateSize(),
            TinyModel.BERT.maxPositionEmbeddings() + 2,
            TinyModel.BERT.vocabSize(),
            TinyModel.BERT.typeVocabSize(),
            TinyModel.BERT.hiddenAct(),
            TinyModel.BERT.layerNormEps(),
            0,
            0);
    Map<String, Tensor> shifted = new LinkedHashMap<>(tensorFlow);
    String positions = "module/bert/embeddings/position_embeddings";
    float[] rows = tensorFlow.get(positions).toFloats();
    float[] offset = new float[rows.length + 2 * xlmr.hiddenSize()];
    Arrays.fill(offset, 0, 2 * xlmr.hiddenSize(), 100f); // rows 0 and 1 must never be read
    System.arraycopy(rows, 0, offset, 2 * xlmr.hiddenSize(), rows.length);
    shifted.put(
        positions,
        Tensor.ofFloats(
            positions, new long[] {xlmr.maxPositionEmbeddings(), xlmr.hiddenSize()}, offset));
    FrozenWeights roberta =
        FrozenWeights.load(
            TinyModel.write(
                models.resolve("xlm-roberta"), xlmr, TinyModel.huggingFaceWeights(shifted, true)),
            DataType.FLOAT);
    int[][] ids = TinyModel.randomIds(new Random(5), 2, 16);

    assertEquals(EncoderFamily.ROBERTA, roberta.family());
    assertEquals(16, roberta.maxSequenceLength());
    assertClose(hiddenStates(bert, ids, ones(ids)), hiddenStates(roberta, ids, ones(ids)));
  }

  @Test
  void paddingLeavesTheRealTokensUnchanged() {
    int[][] ids = TinyModel.randomIds(new Random(6), 2, 7);
    float[][] mask = ones(ids);
    // the second sequence is 4 real tokens and 3 of padding ([PAD] is id 0)
    Arrays.fill(ids[1], 4, 7, 0);
    Arrays.fill(mask[1], 4, 7, 0);

    INDArray batch = hiddenStates(bert, ids, mask);
    int[][] alone = {Arrays.copyOf(ids[1], 4)};
    INDArray second = hiddenStates(bert, alone, ones(alone));

    assertClose(second, batch.get(NDArrayIndex.interval(7, 11)));
  }

  @Test
  void geluVariantsMatchTheirDefinitions() {
    double[] x = {-3, -1, -0.5, 0, 0.5, 1, 2};
    // x·Φ(x), Φ the standard normal CDF
    double[] erf = {
      -0.0040496940948903,
      -0.15865525393145707,
      -0.15426876936299345,
      0,
      0.34573123063700656,
      0.8413447460685429,
      1.9544997361036416
    };
    double[] tanh = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      tanh[i] =
          0.5
              * x[i]
              * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x[i] + 0.044715 * Math.pow(x[i], 3))));
    }

    assertArrayEquals(erf, activate(HiddenActivation.GELU_ERF, x), 1e-7);
    assertArrayEquals(tanh, activate(HiddenActivation.GELU_TANH, x), 1e-7);
  }

  @Test
  void rejectsAMisshapenTensorNamingItAndTheConfig() throws IOException {
    Map<String, Tensor> misshapen = new LinkedHashMap<>(tensorFlow);
    String query = "module/bert/encoder/layer_1/attention/self/query/kernel";
    misshapen.put(query, Tensor.ofFloats(query, new long[] {8, 4}, new float[32]));
    BaseModel model = TinyModel.write(models.resolve("misshapen"), TinyModel.BERT, misshapen);

    CheckpointFormatException e =
        assertThrows(
            CheckpointFormatException.class, () -> FrozenWeights.load(model, DataType.FLOAT));
    assertEquals(
        model.checkpointFile()
            + ": tensor "
            + query
            + " has shape [8, 4], but config.json implies [8, 8]",
        e.getMessage());
  }

  @Test
  void rejectsANonFiniteWeightNamingTheTensorAndElement() throws IOException {
    String query = "module/bert/encoder/layer_1/attention/self/query/kernel";
    for (float poison : new float[] {Float.NaN, Float.NEGATIVE_INFINITY}) {
      Map<String, Tensor> poisoned = new LinkedHashMap<>(tensorFlow);
      float[] values = poisoned.get(query).toFloats();
      values[13] = poison;
      poisoned.put(query, Tensor.ofFloats(query, new long[] {8, 8}, values));
      BaseModel model = TinyModel.write(models.resolve("poisoned-" + poison), TinyModel.BERT, poisoned);

      CheckpointFormatException e =
          assertThrows(CheckpointFormatException.class, () -> FrozenWeights.load(model, DataType.FLOAT));
      assertEquals(
          model.checkpointFile() + ": tensor " + query + " holds NaN or an infinity (element 13); weights must be finite",
          e.getMessage());
    }
  }

  @Test
  void rejectsAMissingTensorAndAMismatchedFamily() throws IOException {
    Map<String, Tensor> headless = new LinkedHashMap<>(tensorFlow);
    headless.remove("module/cls/predictions/output_bias");
    BaseModel missing = TinyModel.write(models.resolve("headless"), TinyModel.BERT, headless);
    CheckpointFormatException e =
        assertThrows(
            CheckpointFormatException.class, () -> FrozenWeights.load(missing, DataType.FLOAT));
    assertTrue(
        e.getMessage()
            .endsWith(
                "no tensor module/cls/predictions/output_bias or cls/predictions/output_bias,"
                    + " which the encoder needs as mlm.output_bias"),
        e.getMessage());

    BaseModel mislabelled =
        TinyModel.write(
            models.resolve("mislabelled"),
            TinyModel.BERT,
            TinyModel.huggingFaceWeights(tensorFlow, true));
    e =
        assertThrows(
            CheckpointFormatException.class, () -> FrozenWeights.load(mislabelled, DataType.FLOAT));
    assertTrue(
        e.getMessage().endsWith("a ROBERTA checkpoint, but config.json says model_type bert"),
        e.getMessage());
  }

  /** Hidden states [batch × length, hidden] of the frozen encoder alone. */
  static INDArray hiddenStates(FrozenWeights weights, int[][] ids, float[][] attentionMask) {
    SameDiff sd = SameDiff.create();
    SDVariable idsVariable = sd.placeHolder("ids", DataType.INT32, -1, -1);
    SDVariable maskVariable = sd.placeHolder("mask", weights.dataType(), -1, -1);
    SDVariable states =
        new Encoder(sd, weights, null, Map.of()).hiddenStates(idsVariable, maskVariable);
    return sd.outputSingle(
        Map.of(
            "ids", Nd4j.createFromArray(ids),
            "mask", Nd4j.createFromArray(attentionMask).castTo(weights.dataType())),
        states.name());
  }

  static float[][] ones(int[][] ids) {
    float[][] mask = new float[ids.length][];
    for (int row = 0; row < ids.length; row++) {
      mask[row] = new float[ids[row].length];
      Arrays.fill(mask[row], 1);
    }
    return mask;
  }

  static void assertClose(INDArray expected, INDArray actual) {
    assertArrayEquals(expected.shape(), actual.shape());
    double difference = expected.sub(actual).amaxNumber().doubleValue();
    assertTrue(difference < TOLERANCE, "max abs difference " + difference);
  }

  private static double[] activate(HiddenActivation activation, double[] x) {
    SameDiff sd = SameDiff.create();
    return Encoder.activation(sd, activation, sd.constant(Nd4j.createFromArray(x)))
        .eval()
        .toDoubleVector();
  }
}
