package dev.adapterforge.ops.encoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adapterforge.ops.encoder.FillMask.Prediction;
import dev.adapterforge.ops.model.BaseModel;
import dev.adapterforge.ops.model.TestModels;
import dev.adapterforge.ops.tokenizer.Tokenizer;
import dev.adapterforge.ops.tokenizer.TokenizerCache;
import dev.adapterforge.ops.tokenizer.TokenizerSpec;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import java.util.zip.CRC32C;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.RnnLossLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The encoder on mBERT's real weights, read from the TensorBundle in its Maven artifact: it must
 * predict what bert-base-multilingual-cased predicts (Hugging Face's published fill-mask scores,
 * exact GELU), and train an adapter without touching them. The weights are loaded once for the
 * class.
 */
class MbertEncoderTest {
  private static final Logger LOG = LoggerFactory.getLogger(MbertEncoderTest.class);
  private static final double PUBLISHED_PRECISION = 1e-3;

  private static BaseModel mbert;
  private static FillMask fillMask;

  @BeforeAll
  static void loadMbert() throws IOException {
    mbert = TestModels.mbert();
    fillMask = FillMask.of(mbert);
  }

  @Test
  void parisIsTheCapitalOfFrance() {
    assertTopThree(
        "Paris is the capital of [MASK].", "France", 0.327, "Paris", 0.193, "Europe", 0.108);
  }

  /** The example on the bert-base-multilingual-cased model card. */
  @Test
  void reproducesTheModelCardExample() {
    assertTopThree("Hello I'm a [MASK] model.", "model", 0.1018, "world", 0.0521, "data", 0.0489);
  }

  @ParameterizedTest
  @CsvSource({
    "Berlin ist die Hauptstadt [MASK].,Deutschlands",
    "Paris est la capitale de la [MASK].,France",
    "La capital de España es [MASK].,Madrid",
    "Roma è la capitale d'[MASK].,Italia",
    "東京は[MASK]本の首都です。,日",
  })
  void fillsCapitalsInOtherLanguages(String text, String expected) {
    List<Prediction> predictions = fillMask.predict(text, 3).get(0);
    LOG.info("{} -> {}", text, predictions);
    assertEquals(expected, predictions.get(0).token(), predictions.toString());
  }

  @Test
  void aPaddedBatchPredictsWhatEachTextAlonePredicts() {
    List<String> texts =
        List.of(
            "Paris is the capital of [MASK].",
            "Hello I'm a [MASK] model.",
            "[MASK] ist die Hauptstadt von [MASK] und die größte Stadt des Landes.");

    List<List<List<Prediction>>> batch = fillMask.predict(texts, 3);

    for (int text = 0; text < texts.size(); text++) {
      List<List<Prediction>> alone = fillMask.predict(texts.get(text), 3);
      assertEquals(alone.size(), batch.get(text).size());
      for (int mask = 0; mask < alone.size(); mask++) {
        for (int rank = 0; rank < 3; rank++) {
          Prediction expected = alone.get(mask).get(rank);
          Prediction actual = batch.get(text).get(mask).get(rank);
          assertEquals(expected.token(), actual.token());
          assertEquals(expected.probability(), actual.probability(), 1e-5);
        }
      }
    }
  }

  /**
   * A few Adam steps of an adapter on an MLM batch: the network's parameters are the adapter's
   * alone, they change, the loss falls, and every frozen weight stays bit for bit what was loaded.
   */
  @Test
  void trainingAnAdapterLeavesTheFrozenWeightsBitIdentical() {
    FrozenWeights weights = FrozenWeightsCache.get(mbert, DataType.FLOAT);
    long[] checksumsBefore = checksums(weights);
    HookProbe probe = new HookProbe(4, 16);
    EncoderLayer layer = new EncoderLayer(mbert, EncoderLayer.Output.MLM_LOGITS, probe);
    MultiDataSet batch =
        mlmBatch(
            List.of(
                "Paris is the capital of France.", "Berlin ist die Hauptstadt von Deutschland."),
            List.of("France", "Deutschland"));
    int length = (int) batch.getFeatures(0).size(2);
    ComputationGraph graph =
        new ComputationGraph(
            new NeuralNetConfiguration.Builder()
                .seed(3)
                .updater(new Adam(1e-3))
                .graphBuilder()
                .addInputs("ids")
                .setInputTypes(InputType.recurrent(1, length))
                .addLayer("encoder", layer, "ids")
                .addLayer(
                    "mlm",
                    new RnnLossLayer.Builder(LossFunction.MCXENT)
                        .activation(Activation.SOFTMAX)
                        .build(),
                    "encoder")
                .setOutputs("mlm")
                .build());
    graph.init();
    String json = graph.getConfiguration().toJson();

    assertEquals(probe.parameterCount(mbert.architecture()), graph.numParams());
    assertTrue(json.length() < 50_000, "the configuration carries no weights: " + json.length());
    assertTrue(json.contains(mbert.checkpointSha256()));

    INDArray initial = graph.params().dup();
    double initialLoss = graph.score(batch);
    for (int step = 0; step < 3; step++) {
      graph.fit(batch);
    }
    double finalLoss = graph.score(batch);
    LOG.info("MLM loss {} -> {} after 3 steps", initialLoss, finalLoss);

    assertNotEquals(initial, graph.params());
    assertTrue(finalLoss < initialLoss, initialLoss + " -> " + finalLoss);
    assertArrayEquals(checksumsBefore, checksums(weights));
  }

  /**
   * The sentences with the target word masked, as the layer reads them: ids [batch, 1, length],
   * padding mask, one-hot labels [batch, vocabulary, length] with a label mask on the masked token.
   */
  private static MultiDataSet mlmBatch(List<String> sentences, List<String> targets) {
    Tokenizer tokenizer = TokenizerCache.get(TokenizerSpec.fromFolder(mbert.directory()));
    List<int[]> ids = tokenizer.encodeBatch(sentences);
    int length = ids.stream().mapToInt(sequence -> sequence.length).max().orElseThrow();
    int vocabulary = mbert.architecture().vocabSize();
    INDArray features = Nd4j.zeros(DataType.FLOAT, sentences.size(), 1, length);
    INDArray featureMask = Nd4j.zeros(DataType.FLOAT, sentences.size(), length);
    INDArray labels = Nd4j.zeros(DataType.FLOAT, sentences.size(), vocabulary, length);
    INDArray labelMask = Nd4j.zeros(DataType.FLOAT, sentences.size(), length);
    for (int row = 0; row < sentences.size(); row++) {
      int target = tokenizer.encode(targets.get(row))[1];
      for (int position = 0; position < ids.get(row).length; position++) {
        int id = ids.get(row)[position];
        featureMask.putScalar(row, position, 1);
        if (id == target) {
          id = tokenizer.specialTokens().mask();
          labels.putScalar(row, target, position, 1);
          labelMask.putScalar(row, position, 1);
        }
        features.putScalar(row, 0, position, id);
      }
    }
    return new MultiDataSet(
        new INDArray[] {features},
        new INDArray[] {labels},
        new INDArray[] {featureMask},
        new INDArray[] {labelMask});
  }

  /** CRC-32C of every frozen array's native bytes. */
  private static long[] checksums(FrozenWeights weights) {
    return Arrays.stream(EncoderTensor.values())
        .flatMap(
            tensor ->
                IntStream.range(0, tensor.count(weights.architecture()))
                    .mapToObj(layer -> weights.get(tensor, layer)))
        .mapToLong(
            array -> {
              CRC32C crc = new CRC32C();
              crc.update(array.data().asNio());
              return crc.getValue();
            })
        .toArray();
  }

  private static void assertTopThree(
      String text, String first, double p1, String second, double p2, String third, double p3) {
    List<Prediction> predictions = fillMask.predict(text, 3).get(0);
    LOG.info("{} -> {}", text, predictions);
    assertEquals(
        List.of(first, second, third), predictions.stream().map(Prediction::token).toList());
    assertEquals(p1, predictions.get(0).probability(), PUBLISHED_PRECISION);
    assertEquals(p2, predictions.get(1).probability(), PUBLISHED_PRECISION);
    assertEquals(p3, predictions.get(2).probability(), PUBLISHED_PRECISION);
  }
}
