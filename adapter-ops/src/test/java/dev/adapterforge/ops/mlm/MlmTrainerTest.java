package dev.adapterforge.ops.mlm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adapterforge.ops.adapters.AdapterConfig;
import dev.adapterforge.ops.adapters.bottleneck.BottleneckConfig;
import dev.adapterforge.ops.adapters.invertible.InvertibleConfig;
import dev.adapterforge.ops.adapters.lora.LoraConfig;
import dev.adapterforge.ops.adapters.sparse.SparseConfig;
import dev.adapterforge.ops.encoder.FrozenWeights;
import dev.adapterforge.ops.encoder.FrozenWeightsCache;
import dev.adapterforge.ops.encoder.GradientChecks;
import dev.adapterforge.ops.encoder.Projection;
import dev.adapterforge.ops.encoder.TinyModel;
import dev.adapterforge.ops.model.BaseModel;
import dev.adapterforge.ops.model.HiddenActivation;
import dev.adapterforge.ops.tokenizer.SpecialTokens;
import dev.adapterforge.ops.tokenizer.Tokenizer;
import dev.adapterforge.ops.tokenizer.TokenizerCache;
import dev.adapterforge.ops.tokenizer.TokenizerSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Every method trains on the tiny model: text where each token is followed by the next letter, so
 * a masked token is predictable from its neighbours.
 */
class MlmTrainerTest {
  @TempDir static Path dir;
  private static BaseModel model;
  private static Tokenizer tokenizer;
  private static List<int[]> train;
  private static List<int[]> validation;

  @BeforeAll
  static void tinyModelAndText() throws IOException {
    model = GradientChecks.tinyModel(dir.resolve("models"), HiddenActivation.GELU_ERF);
    tokenizer = TokenizerCache.get(TokenizerSpec.fromFolder(model.directory()));
    train = sequences(new Random(1), 200);
    validation = sequences(new Random(2), 40);
  }

  /** Runs of consecutive letters (ids 5..19), 4 to 10 long, between [CLS] and [SEP]. */
  private static List<int[]> sequences(Random random, int count) {
    SpecialTokens special = new SpecialTokens(2, 3, 0, 4, 1);
    List<int[]> sequences = new ArrayList<>();
    for (int s = 0; s < count; s++) {
      int length = 4 + random.nextInt(7);
      int[] ids = new int[length + 2];
      ids[0] = special.cls();
      int start = random.nextInt(15);
      for (int i = 0; i < length; i++) {
        ids[i + 1] = 5 + (start + i) % 15;
      }
      ids[length + 1] = special.sep();
      sequences.add(ids);
    }
    return sequences;
  }

  static Stream<AdapterConfig> methods() {
    return Stream.of(
        BottleneckConfig.DEFAULT.withReductionFactor(2),
        InvertibleConfig.DEFAULT.withReductionFactors(2, 2),
        LoraConfig.DEFAULT.withRank(4, 8),
        new SparseConfig(SparseConfig.DEFAULT.targets(), 0.2, 0, 30, 30));
  }

  @ParameterizedTest
  @MethodSource("methods")
  void everyMethodLowersTheValidationLoss(AdapterConfig config) {
    FrozenWeights frozen = FrozenWeightsCache.get(model, DataType.FLOAT);
    float[] queryBefore = frozen.projectionWeight(0, Projection.QUERY).dup().data().asFloat();

    MlmTrainer.Result result =
        new MlmTrainer(model, tokenizer, new MlmTrainer.Settings(60, 1e-2, 16, 30, 7, 0.15))
            .train(config, train, validation);

    assertTrue(
        result.finalValidationLoss() < result.initialValidationLoss() - 0.1,
        config.method().id() + ": " + result.curve());
    assertArrayEquals(queryBefore, frozen.projectionWeight(0, Projection.QUERY).data().asFloat(), "frozen weights unchanged");
    assertTrue(result.tokensPerSecond() > 0);
  }

  @Test
  void bucketingKeepsPaddingLow() {
    MlmMasking masking = new MlmMasking(0.15, tokenizer.specialTokens(), tokenizer.vocabularySize());
    MlmBatches bucketed = new MlmBatches(train, 8, masking, tokenizer.specialTokens(), 3);
    for (int i = 0; i < 25; i++) {
      bucketed.next();
    }
    // lengths 6..12: random batches of 8 pad to ~12 (about 25% padding); sorted pools almost never pad
    assertTrue(bucketed.paddingFraction() < 0.05, "padding " + bucketed.paddingFraction());
  }
}
