package dev.adapterforge.ops.mlm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.adapterforge.ops.adapters.bottleneck.BottleneckConfig;
import dev.adapterforge.ops.encoder.RandomBertFolder;
import dev.adapterforge.ops.model.BaseModel;
import dev.adapterforge.ops.model.HiddenActivation;
import dev.adapterforge.ops.model.ModelArchitecture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.MultiDataSet;

/**
 * The all-positions head (Hugging Face's way) and the masked-positions head score the same loss on
 * the same batch, on a random model folder, which is written once and reused.
 */
class MlmTrainerHeadTest {
  private static final ModelArchitecture ARCHITECTURE =
      new ModelArchitecture("bert", 2, 16, 2, 32, 64, 150, 2, HiddenActivation.GELU_ERF, 1e-12, 0.1, 0.1);

  @TempDir Path dir;

  @Test
  void bothHeadsScoreTheSameLoss() throws IOException {
    BaseModel model = RandomBertFolder.write(dir.resolve("bert"), ARCHITECTURE, 3);
    long written = Files.getLastModifiedTime(model.checkpointFile()).toMillis();
    assertEquals(model, RandomBertFolder.write(dir.resolve("bert"), ARCHITECTURE, 3), "the folder is reused");
    assertEquals(written, Files.getLastModifiedTime(model.checkpointFile()).toMillis(), "and not rewritten");

    MlmMasking masking = new MlmMasking(0.15, RandomBertFolder.SPECIAL_TOKENS, ARCHITECTURE.vocabSize());
    SplittableRandom random = new SplittableRandom(5);
    List<MaskedSequence> sequences = new ArrayList<>();
    for (int length : new int[] {12, 7, 9}) {
      int[] ids = random.ints(length, 104, ARCHITECTURE.vocabSize()).toArray();
      ids[0] = RandomBertFolder.SPECIAL_TOKENS.cls();
      ids[length - 1] = RandomBertFolder.SPECIAL_TOKENS.sep();
      sequences.add(masking.mask(ids, random));
    }
    MultiDataSet batch = MlmBatches.toDataSet(sequences, RandomBertFolder.SPECIAL_TOKENS.pad(), 12);

    double[] scores = new double[2];
    for (MlmTrainer.Head head : MlmTrainer.Head.values()) {
      ComputationGraph graph =
          MlmTrainer.network(model, BottleneckConfig.DEFAULT.withReductionFactor(2).create(ARCHITECTURE), 1e-3, 7, head);
      scores[head.ordinal()] = graph.score(batch);
    }
    assertEquals(scores[0], scores[1], 1e-4 * Math.abs(scores[0]), "loss of the masked and the all-positions head");
  }
}
