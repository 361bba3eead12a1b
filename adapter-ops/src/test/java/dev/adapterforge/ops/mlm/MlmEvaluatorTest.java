package dev.adapterforge.ops.mlm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.nd4j.linalg.indexing.NDArrayIndex.all;
import static org.nd4j.linalg.indexing.NDArrayIndex.point;

import dev.adapterforge.ops.encoder.EncoderGraphs;
import dev.adapterforge.ops.adapters.bottleneck.BottleneckConfig;
import dev.adapterforge.ops.encoder.EncoderAdapter;
import dev.adapterforge.ops.encoder.FrozenWeightsCache;
import dev.adapterforge.ops.encoder.GradientChecks;
import dev.adapterforge.ops.encoder.MaskedLmGraph;
import dev.adapterforge.ops.encoder.TinyModel;
import dev.adapterforge.ops.model.BaseModel;
import dev.adapterforge.ops.model.HiddenActivation;
import dev.adapterforge.ops.tokenizer.SpecialTokens;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * MLM loss and pseudo-perplexity against a straightforward computation: each masked copy of each
 * sequence alone through the DL4J layer, logits at every position, log-softmax in Java.
 */
class MlmEvaluatorTest {
  /** TinyModel's numbering: [PAD] 0, [UNK] 1, [CLS] 2, [SEP] 3, [MASK] 4. */
  private static final SpecialTokens SPECIAL = new SpecialTokens(2, 3, 0, 4, 1);

  @TempDir static Path models;
  private static BaseModel model;
  private static List<int[]> sequences;
  private static MlmMasking masking;

  @BeforeAll
  static void tinyModelAndText() throws IOException {
    model = GradientChecks.tinyModel(models, HiddenActivation.GELU_ERF);
    masking = new MlmMasking(0.3, SPECIAL, TinyModel.VOCABULARY.size());
    Random random = new Random(5);
    sequences = new ArrayList<>();
    for (int length : new int[] {3, 9, 5, 12, 7, 4}) {
      int[] ids = new int[length + 2];
      ids[0] = SPECIAL.cls();
      for (int i = 1; i <= length; i++) {
        ids[i] = 5 + random.nextInt(TinyModel.VOCABULARY.size() - 5);
      }
      ids[length + 1] = SPECIAL.sep();
      sequences.add(ids);
    }
  }

  private static MlmEvaluator evaluator(EncoderAdapter adapter, Map<String, INDArray> parameters, int batchTokens) {
    return new MlmEvaluator(
        new MaskedLmGraph(FrozenWeightsCache.get(model, DataType.FLOAT), adapter, parameters), SPECIAL, batchTokens);
  }

  /** Mean NLL of the masked targets, one sequence at a time, full logits. */
  private static double straightforwardLoss(ComputationGraph graph, List<MaskedSequence> masked) {
    double nll = 0;
    int count = 0;
    for (MaskedSequence sequence : masked) {
      int[] ids = sequence.inputIds();
      INDArray input = Nd4j.createFromArray(new int[][] {ids}).castTo(DataType.FLOAT).reshape(1, 1, ids.length);
      INDArray logits = graph.outputSingle(input); // [1, vocabulary, length]
      for (int i = 0; i < sequence.maskedCount(); i++) {
        double[] column =
            logits.get(point(0), all(), point(sequence.positions()[i])).toDoubleVector();
        double max = Arrays.stream(column).max().orElseThrow();
        double logSum = max + Math.log(Arrays.stream(column).map(v -> Math.exp(v - max)).sum());
        nll -= column[sequence.targets()[i]] - logSum;
        count++;
      }
    }
    return nll / count;
  }

  /** Each sequence once per real token, that token masked: CLS and SEP are the ends. */
  private static List<MaskedSequence> maskedInTurn() {
    List<MaskedSequence> copies = new ArrayList<>();
    for (int[] ids : sequences) {
      for (int position = 1; position < ids.length - 1; position++) {
        int[] input = ids.clone();
        input[position] = SPECIAL.mask();
        copies.add(new MaskedSequence(input, new int[] {position}, new int[] {ids[position]}));
      }
    }
    return copies;
  }

  @Test
  void pseudoPerplexityMasksEveryRealTokenInTurn() {
    MlmEvaluator.Score score = evaluator(null, Map.of(), 40).pseudoPerplexity(sequences);

    List<MaskedSequence> copies = maskedInTurn();
    assertEquals(copies.size(), score.tokens());
    assertEquals(sequences.size(), score.sequences());
    assertEquals(straightforwardLoss(EncoderGraphs.mlmLogits(model, null), copies), score.meanLoss(), 1e-5);
    assertTrue(score.perplexity() > 1);
  }

  @Test
  void mlmLossIsTheSameForAnyBatchSize() {
    MlmEvaluator.Score small = evaluator(null, Map.of(), 10).mlmLoss(sequences, masking, 42);
    MlmEvaluator.Score large = evaluator(null, Map.of(), 10_000).mlmLoss(sequences, masking, 42);
    assertEquals(small.tokens(), large.tokens());
    assertEquals(small.negativeLogLikelihood(), large.negativeLogLikelihood(), 1e-5);

    List<MaskedSequence> masked = new ArrayList<>();
    for (int i = 0; i < sequences.size(); i++) {
      masked.add(masking.mask(sequences.get(i), 42L + i));
    }
    assertEquals(straightforwardLoss(EncoderGraphs.mlmLogits(model, null), masked), small.meanLoss(), 1e-5);
  }

  @Test
  void anAdaptersParametersChangeTheScoreAsTheyChangeTheNetwork() {
    EncoderAdapter adapter = BottleneckConfig.DEFAULT.withReductionFactor(2).create(TinyModel.BERT);
    ComputationGraph graph = EncoderGraphs.mlmLogits(model, adapter);
    graph.params().assign(Nd4j.rand(DataType.FLOAT, graph.params().shape()).subi(0.5));
    Map<String, INDArray> parameters = graph.getLayer("encoder").paramTable();

    MlmEvaluator.Score adapted = evaluator(adapter, parameters, 64).pseudoPerplexity(sequences);
    MlmEvaluator.Score bare = evaluator(null, Map.of(), 64).pseudoPerplexity(sequences);
    assertTrue(Math.abs(adapted.negativeLogLikelihood() - bare.negativeLogLikelihood()) > 1e-3);

    List<MaskedSequence> copies = maskedInTurn();
    assertEquals(straightforwardLoss(graph, copies), adapted.meanLoss(), 1e-5);
  }
}
