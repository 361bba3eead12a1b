package dev.adapterforge.bench;

import dev.adapterforge.cli.ModelOptions;
import dev.adapterforge.job.Range;
import dev.adapterforge.job.TextTable;
import dev.adapterforge.job.UsageException;
import dev.adapterforge.ops.adapters.AdapterConfig;
import dev.adapterforge.ops.adapters.AdapterMethod;
import dev.adapterforge.ops.adapters.bottleneck.BottleneckConfig;
import dev.adapterforge.ops.adapters.invertible.InvertibleConfig;
import dev.adapterforge.ops.adapters.lora.LoraConfig;
import dev.adapterforge.ops.adapters.sparse.SparseConfig;
import dev.adapterforge.ops.encoder.FrozenWeightsCache;
import dev.adapterforge.ops.mlm.MlmTrainer;
import dev.adapterforge.ops.model.BaseModel;
import dev.adapterforge.ops.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.nd4j.linalg.api.buffer.DataType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Trains each adapter method on one language's real sentences on this machine (one JVM, no Spark)
 * and prints what each costs and gains: trainable parameters, validation MLM loss before and
 * after, training tokens/s.
 */
@Command(
    name = "adapters",
    description =
        "Trains every adapter method on one language's UDHR sentences in this JVM; prints parameters,"
            + " validation loss before and after, and tokens/s per method.")
public final class AdapterTrainingBench implements Callable<Integer> {
  @Mixin ModelOptions model;

  @Option(names = "--paragraphs", defaultValue = BenchCorpus.DEFAULT_PARAGRAPHS, paramLabel = "TSV", description = "UDHR paragraphs.")
  Path paragraphs;

  @Option(names = "--language", defaultValue = "swh-Latn", description = "The paragraphs' language to train on.")
  String language;

  @Option(names = "--methods", split = ",", defaultValue = "seq_bn,seq_bn_inv,lora,lt_sft", description = "Methods to train.")
  List<String> methods;

  @Range(min = 1)
  @Option(names = "--steps", defaultValue = "40", description = "Optimizer steps per method; lt_sft runs this many in each phase.")
  int steps;

  @Range(min = 1)
  @Option(names = "--batch-size", defaultValue = "8", description = "Sequences per step.")
  int batchSize;

  @Range(min = 0, minExclusive = true)
  @Option(names = "--lr", defaultValue = "1e-3", description = "Adam learning rate.")
  double learningRate;

  @Range(min = 1)
  @Option(names = "--eval-every", defaultValue = "20", description = "Steps between validation losses.")
  int evalEvery;

  @Option(names = "--seed", defaultValue = "42", description = "Seed of masking, batching and initialisation.")
  long seed;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    List<AdapterConfig> configs = new ArrayList<>();
    for (String method : methods) {
      try {
        configs.add(defaults(AdapterMethod.of(method)));
      } catch (IllegalArgumentException e) {
        throw new UsageException("--methods: " + e.getMessage(), e);
      }
    }
    BaseModel baseModel = model.baseModel();
    Tokenizer tokenizer = baseModel.tokenizer();
    List<int[]> train = new ArrayList<>();
    List<int[]> validation = new ArrayList<>();
    List<String> sentences = sentences();
    for (int i = 0; i < sentences.size(); i++) {
      for (int[] chunk : tokenizer.chunk(sentences.get(i), 128)) {
        (i % 5 == 4 ? validation : train).add(chunk);
      }
    }
    long baseParameters = FrozenWeightsCache.get(baseModel, DataType.FLOAT).parameterCount();
    PrintWriter out = spec.commandLine().getOut();
    out.printf(
        "%s: %d training and %d validation sequences (%d and %d tokens) of %s%n",
        baseModel.id(), train.size(), validation.size(),
        train.stream().mapToLong(s -> s.length).sum(), validation.stream().mapToLong(s -> s.length).sum(), language);
    MlmTrainer trainer =
        new MlmTrainer(baseModel, tokenizer, new MlmTrainer.Settings(steps, learningRate, batchSize, evalEvery, seed, 0.15));
    TextTable table =
        new TextTable("method", "trainable params", "% of base", "steps", "val loss before", "val loss after", "tokens/s", "padding");
    for (AdapterConfig config : configs) {
      MlmTrainer.Result result = trainer.train(config, train, validation);
      table.add(
          config.method().id(),
          result.parameterCount(),
          String.format(Locale.ROOT, "%.3f", 100.0 * result.parameterCount() / baseParameters),
          result.steps(),
          String.format(Locale.ROOT, "%.4f", result.initialValidationLoss()),
          String.format(Locale.ROOT, "%.4f", result.finalValidationLoss()),
          String.format(Locale.ROOT, "%.0f", result.tokensPerSecond()),
          String.format(Locale.ROOT, "%.1f%%", 100 * result.paddingFraction()));
      out.print(table);
      out.flush();
    }
    return 0;
  }

  private AdapterConfig defaults(AdapterMethod method) {
    return referenceConfig(method, steps);
  }

  /**
   * The reference paper's configuration of {@code method}; lt_sft keeps 1% of the targeted weights'
   * entries and takes {@code ltSftSteps} steps in each phase.
   */
  static AdapterConfig referenceConfig(AdapterMethod method, int ltSftSteps) {
    return switch (method) {
      case SEQ_BN -> BottleneckConfig.DEFAULT;
      case SEQ_BN_INV -> InvertibleConfig.DEFAULT;
      case LORA -> LoraConfig.DEFAULT;
      case LT_SFT -> new SparseConfig(SparseConfig.DEFAULT.targets(), 0.01, 0, ltSftSteps, ltSftSteps);
    };
  }

  /** The language's paragraphs cut into sentences. */
  private List<String> sentences() {
    if (!Files.isRegularFile(paragraphs)) {
      throw new UsageException("--paragraphs: no such file: " + paragraphs);
    }
    List<String> sentences = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(paragraphs, StandardCharsets.UTF_8)) {
        String[] fields = line.split("\t", 3);
        if (!line.startsWith("#") && fields.length == 3 && fields[0].equals(language)) {
          for (String sentence : fields[2].split("(?<=[.;:!?።])\\s+")) {
            if (!sentence.isBlank()) {
              sentences.add(sentence.strip());
            }
          }
        }
      }
    } catch (IOException e) {
      throw new UsageException("--paragraphs: cannot read " + paragraphs + ": " + e.getMessage(), e);
    }
    if (sentences.size() < 10) {
      throw new UsageException("--language: " + paragraphs + " has " + sentences.size() + " sentences of " + language);
    }
    return sentences;
  }
}
