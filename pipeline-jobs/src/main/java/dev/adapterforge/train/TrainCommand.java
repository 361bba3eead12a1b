package dev.adapterforge.train;

import dev.adapterforge.cli.BuildInfo;
import dev.adapterforge.cli.ModelOptions;
import dev.adapterforge.job.Range;
import dev.adapterforge.job.JobFailedException;
import dev.adapterforge.job.SparkJob;
import dev.adapterforge.job.TextTable;
import dev.adapterforge.job.UsageException;
import dev.adapterforge.ops.adapters.AdapterConfig;
import dev.adapterforge.ops.model.BaseModel;
import dev.adapterforge.prep.PreparedInput;
import dev.adapterforge.registry.AdapterRegistry;
import dev.adapterforge.registry.ArtifactManifest;
import dev.adapterforge.registry.Stage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code adapterforge train}: one adapter per language from prepared sequences, trained
 * data-parallel on the executors with DL4J's parameter averaging, evaluated, saved and, with
 * {@code --registry}, published. Languages run one after another in one application; each executor
 * keeps the base model loaded between them.
 */
@Command(
    name = "train",
    description =
        "Trains an adapter per language on prepared sequences, data-parallel on the executors with"
            + " parameter averaging; evaluates, saves and (with --registry) publishes it. lt_sft's mask"
            + " file is written under --output, which executors must be able to read.")
public final class TrainCommand extends SparkJob {
  private static final Logger LOG = LoggerFactory.getLogger(TrainCommand.class);

  @Mixin ModelOptions model;
  @Mixin AdapterOptions adapter;

  @Option(names = "--data", required = true, paramLabel = "PREP_OUTPUT", description = "A prep-glotcc or prep-conceptnet output folder.")
  String data;

  @Option(names = {"--languages", "--language"}, required = true, split = ",", description = "Languages to train, as the prep output names them.")
  List<String> languages;

  @Range(min = 1)
  @Option(names = "--steps", defaultValue = "1000", description = "Optimizer steps per worker; lt_sft takes this many in each phase.")
  int steps;

  @Range(min = 0, minExclusive = true)
  @Option(names = "--lr", defaultValue = "1e-4", description = "Adam learning rate.")
  double learningRate;

  @Range(min = 1)
  @Option(names = "--batch-size-per-worker", defaultValue = "16", description = "Sequences per step on each worker.")
  int batchSizePerWorker;

  @Range(min = 1)
  @Option(names = "--averaging-frequency", defaultValue = "5", description = "Steps each worker takes between parameter averagings.")
  int averagingFrequency;

  @Range(min = 1)
  @Option(names = "--workers", description = "Data-parallel workers (default: the application's default parallelism).")
  Integer workers;

  @Range(min = 0, max = 1, minExclusive = true, maxExclusive = true)
  @Option(names = "--mlm-probability", defaultValue = "0.15", description = "Share of tokens masked.")
  double mlmProbability;

  @Range(min = 3)
  @Option(names = "--max-length", defaultValue = "512", description = "Longer prepared sequences are cut to this, [SEP] kept.")
  int maxLength;

  @Option(names = "--seed", defaultValue = "42", description = "Seed of initialisation, batching, masking and validation.")
  long seed;

  @Range(min = 1)
  @Option(names = "--eval-every", defaultValue = "100", description = "Steps between validation losses and checkpoints.")
  int evalEvery;

  @Range(min = 1)
  @Option(names = "--eval-sequences", defaultValue = "256", description = "Validation sequences scored, a fixed sample.")
  int evalSequences;

  @Option(names = "--output", defaultValue = ".adapterforge/adapters", paramLabel = "DIR",
      description = "Where <language>-<method>/ (the adapter) and <language>-<method>.run/ (log, curve, checkpoint) go.")
  Path output;

  @Option(names = "--registry", paramLabel = "URI", description = "Publish each adapter to this registry when trained.")
  String registry;

  @Option(names = "--resume", description = "Continue each language from its last checkpoint under --output.")
  boolean resume;

  private PreparedInput input;
  private AdapterConfig config;

  @Override
  protected void validate() {
    config = adapter.config(steps);
    input = PreparedInput.open(data, "--data", sparkOptions.hadoopConfiguration());
    languages.forEach(language -> input.requireLanguage(language, "--languages"));
    BaseModel baseModel = model.baseModel();
    input.requireTokenizer(baseModel.tokenizer().sha256(), baseModel.id(), "--data");
    model.weights();
  }


  @Override
  protected int run(SparkSession spark) throws Exception {
    BaseModel baseModel = model.baseModel();
    int workerCount = workers != null ? workers : spark.sparkContext().defaultParallelism();
    DistributedTraining.Settings settings =
        new DistributedTraining.Settings(
            steps, learningRate, batchSizePerWorker, averagingFrequency, workerCount, mlmProbability, maxLength, seed,
            evalEvery, evalSequences, resume);
    TextTable summary =
        new TextTable(
            "language", "method", "steps", "val loss before", "best val loss", "val sequences", "tokens/s", "adapter", "registry");
    List<String> failed = new ArrayList<>();
    for (String language : languages) {
      DistributedTraining.Outcome outcome;
      try {
        outcome =
            new DistributedTraining(spark, baseModel, baseModel.tokenizer(), input, language, config, settings, output.toAbsolutePath())
                .run();
      } catch (UsageException e) {
        throw e; // a refused --resume: the command line is at fault, exit 2, not this language
      } catch (JobFailedException e) {
        LOG.error("Training {} failed: {}", language, e.getMessage()); // says it all: no stack trace
        failed.add(language);
        continue;
      } catch (RuntimeException e) {
        // one language's failure does not cost the others theirs
        LOG.error("Training {} failed", language, e);
        failed.add(language);
        continue;
      }
      String published = "-";
      if (registry != null) {
        ArtifactManifest manifest = ArtifactManifest.read(outcome.artifact());
        AdapterRegistry.Published row =
            AdapterRegistry.at(spark, registry)
                .publish(manifest, manifest.registryName(), Stage.candidate, "adapterforge " + BuildInfo.version());
        published = row.name() + " v" + row.version();
      }
      summary.add(
          language,
          config.method().id(),
          outcome.steps(),
          String.format(Locale.ROOT, "%.4f", outcome.initialValidationLoss()),
          String.format(Locale.ROOT, "%.4f", outcome.bestValidationLoss()),
          outcome.validation().sequences().size() + " (" + outcome.validation().source() + ")",
          String.format(Locale.ROOT, "%.0f", outcome.tokensPerSecond()),
          outcome.artifact(),
          published);
    }
    spec.commandLine().getOut().print(summary);
    if (!failed.isEmpty()) {
      LOG.error("Failed: {} (see the log above)", String.join(", ", failed));
      return 1;
    }
    return 0;
  }
}
