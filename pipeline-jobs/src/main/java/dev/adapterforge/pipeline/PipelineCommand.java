package dev.adapterforge.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.adapterforge.cli.BuildInfo;
import dev.adapterforge.job.SparkJob;
import dev.adapterforge.job.TextTable;
import dev.adapterforge.job.UsageException;
import dev.adapterforge.ops.adapters.AdapterMethod;
import dev.adapterforge.ops.checkpoint.Sha256;
import dev.adapterforge.prep.PreparedInput;
import dev.adapterforge.registry.AdapterRegistry;
import dev.adapterforge.registry.ArtifactManifest;
import dev.adapterforge.registry.RegistryOption;
import dev.adapterforge.registry.Stage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code adapterforge pipeline}: corpora to evaluated, published adapters for every language, in
 * one Spark application. Each stage is the command a user would run ({@code prep-glotcc}, {@code
 * prep-conceptnet}, {@code train}, {@code evaluate-mlm}), configured by its own section of the same
 * config file, then the registry publish. Every stage records in the {@link StageLedger} what it
 * consumed (content hashes of its inputs and its settings), so running the pipeline again does only
 * what changed: a scheduler simply calls it again. A language that fails does not stop the others;
 * the run then exits 1.
 */
@Command(
    name = "pipeline",
    description =
        "Runs prep -> train -> evaluate -> publish for every language of each source, in one Spark application."
            + " Each stage takes its options from its command's section of the config file (prep-glotcc,"
            + " prep-conceptnet, train, evaluate-mlm) and is skipped when its inputs' content and its settings are"
            + " unchanged since it last finished (the ledger under --work). Exit 1 if any language failed; the"
            + " others still finish.")
public final class PipelineCommand extends SparkJob {
  private static final Logger LOG = LoggerFactory.getLogger(PipelineCommand.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PLACEHOLDER = "pipeline-checks-options-only";

  /** The stages, in the order they run; {@code --stages} picks some, as a workflow's separate tasks do. */
  enum StageName { prep, train, evaluate, publish }

  /** A corpus source and the command that prepares it. */
  enum Source {
    glotcc("prep-glotcc"),
    conceptnet("prep-conceptnet");

    final String command;

    Source(String command) {
      this.command = command;
    }
  }

  @Option(names = "--sources", required = true, split = ",", splitSynopsisLabel = ",", paramLabel = "SOURCE",
      description = "Corpus sources to run: glotcc, conceptnet; each configured by its prep command's section.")
  List<Source> sources;

  @Option(names = "--stages", split = ",", splitSynopsisLabel = ",", defaultValue = "prep,train,evaluate,publish", paramLabel = "STAGE",
      description = "Stages to run: prep, train, evaluate, publish. A stage left out uses what its last run recorded.")
  List<StageName> stages;

  @Option(names = "--languages", split = ",", splitSynopsisLabel = ",", paramLabel = "LANG",
      description = "Only these languages of the prepared sources; 'all' (the default): every language prep produced.")
  List<String> languages;

  @Option(names = "--base-model", defaultValue = "mbert", paramLabel = "mbert|PATH",
      description = "The base model every stage uses: its tokenizer for prep, its encoder for training and evaluation.")
  String baseModel;

  @Option(names = "--work", paramLabel = "DIR",
      description = "Adapters, evaluations and the ledger; executors must be able to read it. Default: ROOT/pipeline.")
  Path work;

  @Mixin RegistryOption registry;

  private Set<StageName> selected;

  @Override
  protected void validate() {
    selected = EnumSet.copyOf(stages);
    if (languages != null && languages.equals(List.of("all"))) {
      languages = null;
    }
    work = (work != null ? work : sparkOptions.root().resolve("pipeline")).toAbsolutePath();
    // every stage's options are complete and well-formed before Spark starts
    for (Source source : sources) {
      sibling(source.command);
    }
    sibling("train", "--data", PLACEHOLDER, "--languages", PLACEHOLDER);
    sibling("evaluate-mlm", "--data", PLACEHOLDER, "--language", PLACEHOLDER);
  }

  @Override
  protected int run(SparkSession spark) {
    StageLedger ledger = new StageLedger(work.resolve("ledger"));
    List<LanguageRun> runs = new ArrayList<>();
    for (Source source : sources) {
      long started = System.nanoTime();
      PreparedInput prepared;
      Map<String, String> contentHashes;
      try {
        prepared = prepare(spark, ledger, source);
        contentHashes = prepared.contentHashes(spark);
      } catch (StageFailed | RuntimeException e) {
        LOG.error("{}: prep failed", source, e);
        runs.add(new LanguageRun(source.name(), "*", started).failed("prep: " + message(e)));
        continue;
      }
      for (String language : prepared.languages()) {
        if (languages == null || languages.contains(language)) {
          runs.add(new LanguageWork(spark, ledger, source, prepared, language, contentHashes.get(language)).run());
        }
      }
    }
    if (languages != null) {
      languages.stream()
          .filter(language -> runs.stream().noneMatch(run -> run.language().equals(language)))
          .forEach(language -> runs.add(new LanguageRun("-", language, System.nanoTime()).failed("in no prepared source")));
    }
    spec.commandLine().getOut().print(LanguageRun.table(runs));
    List<String> failed = runs.stream().filter(LanguageRun::isFailed).map(run -> run.source() + "/" + run.language()).toList();
    if (!failed.isEmpty()) {
      LOG.error("Failed: {} (see the log above)", String.join(", ", failed));
      return 1;
    }
    return 0;
  }

  /**
   * The source's prep output, prepared again only when the corpus's content or the prep settings
   * changed since the ledger's record (or the output is gone).
   */
  private PreparedInput prepare(SparkSession spark, StageLedger ledger, Source source) throws StageFailed {
    SiblingCommand prep = sibling(source.command).withFlagsOn(spec, "--overwrite");
    String output = prep.option("--output");
    String input = prep.option("--input");
    Optional<StageLedger.Entry> last = ledger.read(StageName.prep.name(), source.name(), "corpus");
    ObjectNode corpus =
        CorpusFingerprint.of(spark, input, last.map(e -> e.consumed().path("corpus").path("files")).orElse(MissingNode.getInstance()));
    String settings = prep.settings(Set.of("--input", "--output", "--overwrite"));
    String fingerprint = Sha256.ofText("corpus " + corpus.path("sha256").asText() + "\n" + settings);
    boolean published = isPublished(spark, output);
    if (last.filter(e -> e.fingerprint().equals(fingerprint)).isPresent() && published) {
      LOG.info("{}: corpus and settings unchanged since the last prep; using {}", source, output);
    } else if (!selected.contains(StageName.prep)) {
      if (!published) {
        throw new StageFailed("no prep output at " + output + ": run --stages prep first");
      }
      LOG.warn("{}: the corpus or prep settings changed since {} was prepared; using it (--stages leaves prep out)", source, output);
    } else {
      int exit = prep.execute();
      if (exit != 0) {
        throw new StageFailed(source.command + " exited " + exit);
      }
      ObjectNode consumed = StageLedger.object();
      consumed.set("corpus", corpus);
      consumed.put("settings", settings);
      ledger.record(StageName.prep.name(), source.name(), "corpus", fingerprint, consumed, StageLedger.object().put("output", output));
    }
    return PreparedInput.open(output, "prep-" + source + " --output", spark.sparkContext().hadoopConfiguration());
  }

  private static boolean isPublished(SparkSession spark, String output) {
    try {
      PreparedInput.open(output, "--output", spark.sparkContext().hadoopConfiguration());
      return true;
    } catch (UsageException e) {
      return false;
    }
  }

  /** One language of one source through train, evaluate and publish, each skipped when its ledger record is current. */
  private final class LanguageWork {
    private final SparkSession spark;
    private final StageLedger ledger;
    private final Source source;
    private final PreparedInput prepared;
    private final String language;
    private final String dataHash;
    private final long started = System.nanoTime();
    private final List<String> done = new ArrayList<>();

    LanguageWork(SparkSession spark, StageLedger ledger, Source source, PreparedInput prepared, String language, String dataHash) {
      this.spark = spark;
      this.ledger = ledger;
      this.source = source;
      this.prepared = prepared;
      this.language = language;
      this.dataHash = dataHash;
    }

    LanguageRun run() {
      LanguageRun run = new LanguageRun(source.name(), language, started);
      try {
        Optional<ArtifactManifest> adapter = train();
        if (adapter.isEmpty()) {
          return run.waiting("train");
        }
        ArtifactManifest manifest = adapter.get();
        run.trained(manifest);
        Optional<JsonNode> before = evaluate(null);
        Optional<JsonNode> after = evaluate(manifest);
        if (before.isEmpty() || after.isEmpty()) {
          return run.waiting("evaluate");
        }
        run.evaluated(before.get(), after.get());
        Optional<JsonNode> published = publish(manifest, before.get(), after.get());
        if (published.isEmpty()) {
          return run.waiting("publish");
        }
        return run.published(published.get(), done);
      } catch (StageFailed | RuntimeException e) {
        LOG.error("{} {}: failed", source, language, e);
        return run.failed(message(e));
      }
    }

    /** The language's adapter, trained unless the ledger has one for these data and settings. */
    private Optional<ArtifactManifest> train() throws StageFailed {
      SiblingCommand train = sibling("train", "--data", prepared.location(), "--languages", language);
      String settings = train.settings(Set.of("--data", "--languages", "--output", "--registry", "--resume"));
      String fingerprint = Sha256.ofText("data " + dataHash + "\n" + settings);
      Path output = work.resolve("adapters").resolve(source.name()).resolve(fingerprint.substring(0, 16));
      Path artifact = output.resolve(language + "-" + AdapterMethod.of(train.option("--method")).id());
      if (ledger.current(StageName.train.name(), source.name(), language, fingerprint).isPresent() && Files.isDirectory(artifact)) {
        return Optional.of(ArtifactManifest.read(artifact));
      }
      // a run killed after saving the adapter (saved by rename, so complete) but before the ledger: just record it
      if (!Files.isDirectory(artifact)) {
        if (!selected.contains(StageName.train)) {
          return Optional.empty();
        }
        // a killed run's checkpoint is under the same folder: --resume continues it
        int exit = sibling("train", "--data", prepared.location(), "--languages", language, "--output", output.toString())
            .withFlagsOn(spec, "--resume")
            .execute();
        if (exit != 0) {
          throw new StageFailed("train exited " + exit);
        }
        done.add("trained");
      }
      ObjectNode consumed = StageLedger.object().put("data_content_hash", dataHash).put("settings", settings);
      ledger.record(StageName.train.name(), source.name(), language, fingerprint, consumed, StageLedger.object().put("artifact", artifact.toString()));
      return Optional.of(ArtifactManifest.read(artifact));
    }

    /** evaluate-mlm's figures for the base model ({@code adapter} null) or the adapter, computed unless recorded. */
    private Optional<JsonNode> evaluate(ArtifactManifest adapter) throws StageFailed {
      List<String> args = new ArrayList<>(List.of("--data", prepared.location(), "--language", language));
      if (adapter != null) {
        args.addAll(List.of("--adapter", adapter.directory().toString()));
      }
      SiblingCommand evaluate = sibling("evaluate-mlm", args.toArray(String[]::new));
      String settings = evaluate.settings(Set.of("--data", "--language", "--output", "--adapter"));
      String fingerprint =
          Sha256.ofText("data " + dataHash + "\nadapter " + (adapter == null ? "none" : adapter.contentHash()) + "\n" + settings);
      String key = language + (adapter == null ? ".base" : "");
      Optional<StageLedger.Entry> recorded = ledger.current(StageName.evaluate.name(), source.name(), key, fingerprint);
      if (recorded.isPresent()) {
        return Optional.of(recorded.get().result());
      }
      if (!selected.contains(StageName.evaluate)) {
        return Optional.empty();
      }
      Path figures = work.resolve("evaluations").resolve(source.name()).resolve(key + "-" + fingerprint.substring(0, 16) + ".json");
      args.addAll(List.of("--output", figures.toString()));
      int exit = sibling("evaluate-mlm", args.toArray(String[]::new)).execute();
      if (exit != 0) {
        throw new StageFailed("evaluate-mlm" + (adapter == null ? " of the base model" : "") + " exited " + exit);
      }
      JsonNode result;
      try {
        result = JSON.readTree(figures.toFile());
      } catch (IOException e) {
        throw new StageFailed("evaluate-mlm wrote no readable " + figures + ": " + e.getMessage());
      }
      ObjectNode consumed = StageLedger.object().put("data_content_hash", dataHash).put("settings", settings);
      consumed.put("adapter_content_hash", adapter == null ? null : adapter.contentHash());
      ledger.record(StageName.evaluate.name(), source.name(), key, fingerprint, consumed, result);
      done.add(adapter == null ? "evaluated base" : "evaluated");
      return Optional.of(result);
    }

    /** The registry row for the adapter and its evaluation; the registry itself never duplicates content. */
    private Optional<JsonNode> publish(ArtifactManifest manifest, JsonNode before, JsonNode after) {
      Map<String, Double> evaluation = new LinkedHashMap<>();
      putFigure(evaluation, "eval_mlm_loss_before", before.path("mlm_loss"));
      putFigure(evaluation, "eval_mlm_loss", after.path("mlm_loss"));
      putFigure(evaluation, "pseudo_perplexity_before", before.path("pseudo_perplexity"));
      putFigure(evaluation, "pseudo_perplexity", after.path("pseudo_perplexity"));
      String registryUri = registry.uri(sparkOptions);
      String fingerprint = Sha256.ofText("adapter " + manifest.contentHash() + "\nregistry " + registryUri + "\nmetrics " + evaluation);
      Optional<StageLedger.Entry> recorded = ledger.current(StageName.publish.name(), source.name(), language, fingerprint);
      if (recorded.isPresent()) {
        return Optional.of(recorded.get().result());
      }
      if (!selected.contains(StageName.publish)) {
        return Optional.empty();
      }
      AdapterRegistry.Published row =
          AdapterRegistry.at(spark, registryUri)
              .publish(manifest.withMetrics(evaluation), manifest.registryName(), Stage.candidate, "adapterforge pipeline " + BuildInfo.version());
      ObjectNode result = StageLedger.object().put("name", row.name()).put("version", row.version()).put("artifact_uri", row.artifactUri());
      ObjectNode consumed = StageLedger.object().put("adapter_content_hash", manifest.contentHash()).put("registry", registryUri);
      ledger.record(StageName.publish.name(), source.name(), language, fingerprint, consumed, result);
      if (row.created()) {
        done.add("published");
      }
      return Optional.of(result);
    }
  }

  private static void putFigure(Map<String, Double> figures, String name, JsonNode value) {
    if (value.isNumber()) {
      figures.put(name, value.asDouble());
    }
  }

  /** A sibling command parsed with the pipeline's Spark options, base model and {@code args}. */
  private SiblingCommand sibling(String name, String... args) {
    List<String> argv = new ArrayList<>(sparkOptions.asArguments());
    argv.addAll(List.of("--base-model", baseModel));
    argv.addAll(List.of(args));
    return SiblingCommand.parse(spec, name, argv);
  }

  private static String message(Exception e) {
    return e instanceof StageFailed ? e.getMessage() : e.getClass().getSimpleName() + ": " + e.getMessage();
  }

  /** A stage that ran and failed; the language's other stages do not run. */
  static final class StageFailed extends Exception {
    StageFailed(String message) {
      super(message);
    }
  }

  /** One source and language's row of the summary. */
  static final class LanguageRun {
    private final String source;
    private final String language;
    private final long started;
    private String method = "-";
    private String steps = "-";
    private String lossBefore = "-";
    private String lossAfter = "-";
    private String perplexityBefore = "-";
    private String perplexityAfter = "-";
    private String sequences = "-";
    private String registered = "-";
    private String status = "";
    private boolean failed;
    private double seconds;

    LanguageRun(String source, String language, long started) {
      this.source = source;
      this.language = language;
      this.started = started;
    }

    String source() {
      return source;
    }

    String language() {
      return language;
    }

    boolean isFailed() {
      return failed;
    }

    void trained(ArtifactManifest manifest) {
      method = manifest.method();
      Double trainedSteps = manifest.metrics().get("steps");
      steps = trainedSteps == null ? "-" : String.valueOf(trainedSteps.longValue());
    }

    void evaluated(JsonNode before, JsonNode after) {
      lossBefore = figure(before.path("mlm_loss"));
      lossAfter = figure(after.path("mlm_loss"));
      perplexityBefore = figure(before.path("pseudo_perplexity"));
      perplexityAfter = figure(after.path("pseudo_perplexity"));
      // what the figures rest on: a PPPL over 3 sequences is noise, and the table says so
      sequences = after.path("sequences").asText("-") + " / " + after.path("pseudo_perplexity_sequences").asText("-");
    }

    LanguageRun published(JsonNode row, List<String> done) {
      registered = row.path("name").asText() + " v" + row.path("version").asText();
      return finish(done.isEmpty() ? "unchanged" : String.join(", ", done), false);
    }

    LanguageRun waiting(String stage) {
      return finish("waiting for --stages " + stage, false);
    }

    LanguageRun failed(String reason) {
      return finish("FAILED: " + reason, true);
    }

    private LanguageRun finish(String status, boolean failed) {
      this.status = status;
      this.failed = failed;
      this.seconds = (System.nanoTime() - started) / 1e9;
      return this;
    }

    private static String figure(JsonNode value) {
      return value.isNumber() ? String.format(Locale.ROOT, "%.4f", value.asDouble()) : "-";
    }

    static TextTable table(List<LanguageRun> runs) {
      TextTable table =
          new TextTable(
              "language", "source", "method", "steps", "val loss before", "val loss after", "PPPL before", "PPPL after",
              "val / PPPL seqs", "registry", "wall s", "status");
      for (LanguageRun run : runs) {
        table.add(
            run.language, run.source, run.method, run.steps, run.lossBefore, run.lossAfter, run.perplexityBefore,
            run.perplexityAfter, run.sequences, run.registered, String.format(Locale.ROOT, "%.1f", run.seconds), run.status);
      }
      return table;
    }
  }
}
