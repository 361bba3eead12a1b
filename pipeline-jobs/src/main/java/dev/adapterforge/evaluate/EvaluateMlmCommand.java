package dev.adapterforge.evaluate;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.adapterforge.cli.ModelOptions;
import dev.adapterforge.job.Range;
import dev.adapterforge.job.SparkJob;
import dev.adapterforge.job.TextTable;
import dev.adapterforge.job.UsageException;
import dev.adapterforge.ops.encoder.MaskedLmGraph;
import dev.adapterforge.ops.mlm.MlmEvaluator;
import dev.adapterforge.ops.mlm.MlmMasking;
import dev.adapterforge.ops.model.BaseModel;
import dev.adapterforge.ops.tokenizer.Tokenizer;
import dev.adapterforge.prep.PreparedInput;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code adapterforge evaluate-mlm}: MLM loss and pseudo-perplexity of the base model, or of an
 * adapter inside it, on a language's prepared sequences. A deterministic sample is read with Spark
 * and scored on the driver.
 */
@Command(
    name = "evaluate-mlm",
    description =
        "Reports the MLM loss and pseudo-perplexity of the base model (with --adapter inside, if"
            + " given) on one language's prepared sequences.")
public final class EvaluateMlmCommand extends SparkJob {
  private static final Logger LOG = LoggerFactory.getLogger(EvaluateMlmCommand.class);

  @Mixin ModelOptions model;

  @Option(names = "--data", required = true, paramLabel = "PREP_OUTPUT", description = "A prep-glotcc or prep-conceptnet output folder.")
  String data;

  @Option(names = "--language", required = true, description = "The language to evaluate, as the prep output names it.")
  String language;

  @Option(names = "--split", defaultValue = "validation", description = "train, validation or test.")
  String split;

  @Range(min = 1)
  @Option(
      names = "--max-sequences",
      defaultValue = "200",
      description =
          "Sequences the MLM loss scores, a sample chosen by a hash of --seed and each sequence's source.")
  int maxSequences;

  @Range(min = 1)
  @Option(
      names = "--pseudo-perplexity-sequences",
      defaultValue = "32",
      description =
          "The first this many of the sample also get pseudo-perplexity, which runs the model once per token"
              + " (about 5 sequences of 50 tokens a second for mBERT on 2 cores).")
  int pseudoPerplexitySequences;

  @Range(min = 1)
  @Option(names = "--batch-tokens", defaultValue = "2048", description = "Token slots per forward batch.")
  int batchTokens;

  @Range(min = 0, max = 1, minExclusive = true, maxExclusive = true)
  @Option(names = "--mlm-probability", defaultValue = "0.15", description = "Share of tokens masked for the MLM loss.")
  double mlmProbability;

  @Option(names = "--seed", defaultValue = "42", description = "Seed of the sample and of the masking.")
  long seed;

  @Option(
      names = "--no-pseudo-perplexity",
      description = "Report the MLM loss only; pseudo-perplexity runs the model once per token.")
  boolean skipPseudoPerplexity;

  @Option(names = "--output", paramLabel = "FILE", description = "Also write the figures to this JSON file.")
  Path output;

  private PreparedInput input;

  @Override
  protected void validate() {
    if (!List.of("train", "validation", "test").contains(split)) {
      throw new UsageException("--split: must be train, validation or test, got " + split);
    }
    input = PreparedInput.open(data, "--data", sparkOptions.hadoopConfiguration());
    input.requireLanguage(language, "--language");
    BaseModel baseModel = model.baseModel();
    input.requireTokenizer(baseModel.tokenizer().sha256(), baseModel.id(), "--data");
    model.adapter();
    model.weights();
  }


  @Override
  protected int run(SparkSession spark) throws Exception {
    long started = System.nanoTime();
    List<int[]> sequences = input.sample(spark, language, split, maxSequences, seed);
    if (sequences.isEmpty()) {
      throw new UsageException("--split: " + data + " has no " + split + " sequences for " + language);
    }
    BaseModel baseModel = model.baseModel();
    Tokenizer tokenizer = baseModel.tokenizer();
    MlmEvaluator evaluator =
        new MlmEvaluator(
            new MaskedLmGraph(
                model.weights(), model.encoderAdapter(), model.adapterParameters()),
            tokenizer.specialTokens(),
            batchTokens);
    MlmEvaluator.Score loss =
        evaluator.mlmLoss(sequences, new MlmMasking(mlmProbability, tokenizer.specialTokens(), tokenizer.vocabularySize()), seed);
    LOG.info("MLM loss {} over {} masked tokens of {} sequences", loss.meanLoss(), loss.tokens(), sequences.size());
    MlmEvaluator.Score pseudo =
        skipPseudoPerplexity
            ? null
            : evaluator.pseudoPerplexity(sequences.subList(0, Math.min(pseudoPerplexitySequences, sequences.size())));
    double seconds = (System.nanoTime() - started) / 1e9;

    Map<String, Object> figures = new LinkedHashMap<>();
    figures.put("language", language);
    figures.put("split", split);
    figures.put("base_model", baseModel.id());
    figures.put("adapter", model.adapter() == null ? null : model.adapter().directory().toString());
    figures.put("sequences", sequences.size());
    figures.put("tokens", sequences.stream().mapToLong(s -> s.length).sum());
    figures.put("masked_tokens", loss.tokens());
    figures.put("mlm_loss", loss.meanLoss());
    figures.put("pseudo_perplexity", pseudo == null ? null : pseudo.perplexity());
    figures.put("pseudo_perplexity_sequences", pseudo == null ? 0 : pseudo.sequences());
    figures.put("seconds", seconds);

    TextTable table = new TextTable("language", "split", "sequences", "tokens", "masked", "MLM loss", "pseudo-perplexity", "seconds");
    table.add(
        language,
        split,
        sequences.size(),
        figures.get("tokens"),
        loss.tokens(),
        String.format(Locale.ROOT, "%.4f", loss.meanLoss()),
        pseudo == null
            ? "-"
            : String.format(Locale.ROOT, "%.3f (%d sequences)", pseudo.perplexity(), pseudo.sequences()),
        String.format(Locale.ROOT, "%.1f", seconds));
    spec.commandLine().getOut().print(table);
    if (output != null) {
      Path absolute = output.toAbsolutePath();
      Files.createDirectories(absolute.getParent());
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(absolute.toFile(), figures);
    }
    return 0;
  }
}
