package dev.adapterforge.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.adapterforge.cli.BuildInfo;
import dev.adapterforge.job.JobFailedException;
import dev.adapterforge.ops.adapters.Adapter;
import dev.adapterforge.ops.adapters.AdapterArtifact;
import dev.adapterforge.ops.adapters.AdapterConfig;
import dev.adapterforge.ops.adapters.ArtifactLineage;
import dev.adapterforge.ops.adapters.sparse.SparseAdapter;
import dev.adapterforge.ops.adapters.sparse.SparseConfig;
import dev.adapterforge.ops.adapters.sparse.SparseDifference;
import dev.adapterforge.ops.encoder.EncoderLayer;
import dev.adapterforge.ops.encoder.FrozenWeightsCache;
import dev.adapterforge.ops.mlm.MlmMasking;
import dev.adapterforge.ops.mlm.MlmTrainer;
import dev.adapterforge.ops.model.BaseModel;
import dev.adapterforge.ops.tokenizer.Tokenizer;
import dev.adapterforge.prep.PreparedInput;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.api.Repartition;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * One language's adapter trained on the executors: the training split sharded into one partition
 * per worker and cached there; per averaging round each worker draws {@code averagingFrequency}
 * batches from its shard ({@link RoundBatches}) and DL4J's {@link
 * ParameterAveragingTrainingMaster} trains and averages, broadcasting and collecting the adapter's
 * parameters and Adam state only (the base model stays in each executor's {@code
 * FrozenWeightsCache}). The driver logs every round, scores the validation sample every {@code
 * evalEvery} steps, keeps the best parameters and checkpoints; at the end the best adapter is saved.
 */
final class DistributedTraining {
  private static final Logger LOG = LoggerFactory.getLogger(DistributedTraining.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String NETWORK = "network.zip";
  private static final String BEST = "best-parameters.bin";
  private static final String STATE = "state.json";

  record Settings(
      int steps,
      double learningRate,
      int batchSizePerWorker,
      int averagingFrequency,
      int workers,
      double mlmProbability,
      int maxLength,
      long seed,
      int evalEvery,
      int evalSequences,
      boolean resume) {}

  /**
   * @param validation what the validation losses rest on; NaN losses where there was none to score
   */
  record Outcome(
      Path artifact, long steps, double initialValidationLoss, double bestValidationLoss, double tokensPerSecond,
      Validation validation) {}

  /** The sequences that choose the best adapter, and where they came from. */
  record Validation(List<int[]> sequences, String source) {
    static final String SPLIT = "validation split";
    static final String CARVED = "carved from train";
    static final String NONE = "none";

    boolean selectsBest() {
      return !sequences.isEmpty();
    }
  }

  private final SparkSession spark;
  private final BaseModel model;
  private final Tokenizer tokenizer;
  private final PreparedInput input;
  private final String language;
  private final AdapterConfig config;
  private final Settings settings;
  private final Path artifact;
  private final Path runDirectory;

  DistributedTraining(
      SparkSession spark, BaseModel model, Tokenizer tokenizer, PreparedInput input, String language,
      AdapterConfig config, Settings settings, Path output) {
    this.spark = spark;
    this.model = model;
    this.tokenizer = tokenizer;
    this.input = input;
    this.language = language;
    this.config = config;
    this.settings = settings;
    String name = language + "-" + config.method().id();
    this.artifact = output.resolve(name);
    this.runDirectory = output.resolve(name + ".run");
  }

  Outcome run() throws IOException {
    if (Files.exists(artifact)) {
      throw new IllegalStateException(artifact + " exists: remove it or train into another --output");
    }
    String name = artifact.getFileName().toString();
    int maxLength = Math.min(settings.maxLength(), FrozenWeightsCache.get(model, DataType.FLOAT).maxSequenceLength());
    int sep = tokenizer.specialTokens().sep();
    JavaRDD<int[]> shards =
        shard(
                input.sequences(spark, language, "train").select("input_ids").javaRDD()
                    .map((Row row) -> cut(row.<Integer>getList(0).stream().mapToInt(Integer::intValue).toArray(), maxLength, sep)),
                settings.workers())
            .persist(StorageLevel.MEMORY_ONLY());
    List<int[]> heldOut =
        input.sample(spark, language, "validation", settings.evalSequences(), settings.seed()).stream()
            .map(ids -> cut(ids, maxLength, sep))
            .toList();
    long trainSequences = shards.count();
    if (trainSequences == 0) {
      throw new JobFailedException(language + ": 0 train sequences in " + input.location() + "; nothing to train on");
    }
    Validation validation;
    if (heldOut.isEmpty()) {
      JavaRDD<int[]> all = shards;
      validation = carveValidation(all, trainSequences);
      Set<List<Integer>> carved = validation.sequences().stream().map(DistributedTraining::boxed).collect(Collectors.toSet());
      shards = all.filter(ids -> !carved.contains(boxed(ids))).persist(StorageLevel.MEMORY_ONLY());
      all.unpersist(false);
    } else {
      validation = new Validation(heldOut, Validation.SPLIT);
    }
    long workersWithData = shards.mapPartitions(rows -> List.of(rows.hasNext() ? 1L : 0L).iterator()).reduce(Long::sum);

    Path checkpoint = runDirectory.resolve("checkpoint");
    String dataContentHash = input.contentHashes(spark).get(language);
    RunIdentity identity = RunIdentity.of(config, settings, model, dataContentHash);
    boolean resuming =
        settings.resume() && (Files.isRegularFile(checkpoint.resolve(STATE)) || Files.isRegularFile(maskFile()));
    if (resuming) {
      identity.requireSameAs(runDirectory);
    } else {
      identity.write(runDirectory);
    }
    JavaSparkContext context = JavaSparkContext.fromSparkContext(spark.sparkContext());
    RoundCounters counters = RoundCounters.register(spark.sparkContext());
    Adapter adapter =
        config instanceof SparseConfig sparse
            ? sparsePhaseTwo(sparse, context, shards, counters, workersWithData)
            : config.create(model.architecture());
    ComputationGraph network;
    long startRound;
    double initialLoss;
    double bestLoss;
    INDArray best;
    TrainingLog log;
    Path csv = runDirectory.resolve("training_log.csv");
    Path png = runDirectory.resolve("training_curve.png");
    String title = language + " " + config.method().id() + " on " + model.id();
    if (resuming && Files.isRegularFile(checkpoint.resolve(STATE))) {
      JsonNode state = JSON.readTree(checkpoint.resolve(STATE).toFile());
      network = ModelSerializer.restoreComputationGraph(checkpoint.resolve(NETWORK).toFile(), true);
      best = Nd4j.readBinary(checkpoint.resolve(BEST).toFile());
      startRound = state.path("round").asLong();
      initialLoss = state.path("initial_validation_loss").asDouble();
      bestLoss = state.path("best_validation_loss").asDouble();
      log = TrainingLog.resume(csv, png, title, startRound * settings.averagingFrequency());
      LOG.info("{}: resuming after round {} (best validation loss {})", name, startRound, bestLoss);
    } else {
      network = MlmTrainer.network(model, adapter, settings.learningRate(), settings.seed());
      startRound = 0;
      initialLoss = validation.selectsBest() ? validationLoss(network, validation.sequences()) : Double.NaN;
      bestLoss = initialLoss;
      best = network.params().dup();
      log = TrainingLog.create(csv, png, title);
    }
    LOG.info(
        "{}: {} trainable parameters on {} workers, validation loss {} before training",
        name, network.numParams(), workersWithData, String.format("%.4f", initialLoss));

    SparkComputationGraph sparkNetwork = new SparkComputationGraph(context, network, master(counters));
    long rounds = (settings.steps() + settings.averagingFrequency() - 1) / settings.averagingFrequency();
    long trainedTokens = 0;
    double trainingSeconds = 0;
    for (long round = startRound + 1; round <= rounds; round++) {
      Round trained = trainRound(sparkNetwork, shards, round, counters, workersWithData);
      trainingSeconds += trained.seconds();
      trainedTokens += trained.tokens();
      ComputationGraph current = sparkNetwork.getNetwork();
      long step = Math.min(round * settings.averagingFrequency(), settings.steps());
      double validationLoss = Double.NaN;
      boolean evaluate = round == rounds || round * settings.averagingFrequency() / settings.evalEvery()
          > (round - 1) * settings.averagingFrequency() / settings.evalEvery();
      if (evaluate && validation.selectsBest()) {
        validationLoss = validationLoss(current, validation.sequences());
        if (validationLoss < bestLoss) {
          bestLoss = validationLoss;
          best = current.params().dup();
        }
      } else if (evaluate) {
        best = current.params().dup(); // nothing to choose by: the adapter is the last one
      }
      log.append(trained.row(step, validationLoss));
      logRound(name, trained, round, rounds, step, validationLoss, trainingSeconds / (round - startRound) * (rounds - round));
      if (evaluate) {
        checkpoint(checkpoint, current, best, round, initialLoss, bestLoss);
      }
    }
    shards.unpersist(false);

    ComputationGraph result = sparkNetwork.getNetwork().clone();
    result.setParams(best);
    Map<String, INDArray> parameters = result.getLayer("encoder").paramTable();
    ObjectNode stats = JSON.createObjectNode();
    stats.set(language, input.stats().path("languages").path(language));
    Map<String, Double> metrics = new LinkedHashMap<>();
    if (validation.selectsBest()) {
      metrics.put("mlm_loss", bestLoss);
      metrics.put("mlm_loss_before", initialLoss);
    }
    metrics.put("validation_sequences", (double) validation.sequences().size());
    metrics.put("validation_carved_from_train", validation.source().equals(Validation.CARVED) ? 1.0 : 0.0);
    metrics.put("steps", (double) settings.steps());
    metrics.put("tokens", (double) trainedTokens);
    AdapterArtifact.write(
        artifact,
        adapterOf(result),
        parameters,
        model,
        new ArtifactLineage(
            null, language, input.stats().path("languages").path(language).path("coverage").path("script").asText(null),
            tokenizer.sha256(), List.of(input.location()), stats, dataContentHash, settings.seed(),
            metrics,
            "adapterforge " + BuildInfo.version()),
        language);
    LOG.info("{}: saved {} (best validation loss {}, before {})", name, artifact, String.format("%.4f", bestLoss), String.format("%.4f", initialLoss));
    return new Outcome(
        artifact, settings.steps(), initialLoss, bestLoss, trainedTokens / Math.max(trainingSeconds, 1e-9), validation);
  }

  /**
   * What one averaging round did.
   *
   * @param averagingSeconds the part of the round's time the mean worker spent outside training
   *     steps ({@link FitTimer}): what parameter averaging costs
   */
  private record Round(
      double trainLoss,
      double seconds,
      double averagingSeconds,
      long tokens,
      long slots,
      long bytesBroadcast,
      long bytesAggregated) {

    TrainingLog.Round row(long step, double validationLoss) {
      return new TrainingLog.Round(
          step, trainLoss, validationLoss, tokens / seconds, bytesBroadcast, bytesAggregated,
          Math.round(seconds * 1000), Math.round(averagingSeconds * 1000));
    }
  }

  private ParameterAveragingTrainingMaster master(RoundCounters counters) {
    return new ParameterAveragingTrainingMaster.Builder(settings.batchSizePerWorker())
        .batchSizePerWorker(settings.batchSizePerWorker())
        .averagingFrequency(settings.averagingFrequency())
        .workerPrefetchNumBatches(0)
        // executors on local disks cannot share DL4J's exported batches; each round's batches are ours
        .rddTrainingApproach(RDDTrainingApproach.Direct)
        .repartionData(Repartition.Never)
        .saveUpdater(true)
        .rngSeed(settings.seed())
        .trainingHooks(new FitTimer(counters.fitNanos()))
        .build();
  }

  /** One averaging round: every worker's batches drawn, trained and averaged. */
  private Round trainRound(
      SparkComputationGraph sparkNetwork, JavaRDD<int[]> shards, long round, RoundCounters counters, long workers) {
    counters.reset();
    long started = System.nanoTime();
    sparkNetwork.fitMultiDataSet(
        shards.mapPartitionsWithIndex(
            new RoundBatches(
                settings.seed(), round, settings.averagingFrequency(), settings.batchSizePerWorker(),
                settings.mlmProbability(), tokenizer.specialTokens(), tokenizer.vocabularySize(), counters),
            true));
    double seconds = (System.nanoTime() - started) / 1e9;
    ComputationGraph network = sparkNetwork.getNetwork();
    // the parameters and Adam's state, as float, go out once and come back from every worker
    long bytes = (network.numParams() + network.getUpdater().getStateViewArray().length()) * Float.BYTES;
    // DL4J's score sums a sequence's masked tokens: per masked token, as the validation loss is
    double loss = sparkNetwork.getScore() * counters.sequences().value() / Math.max(1, counters.masked().value());
    double trainingSeconds = counters.fitNanos().value() / 1e9 / workers;
    return new Round(
        loss, seconds, Math.max(0, seconds - trainingSeconds), counters.tokens().value(), counters.slots().value(),
        bytes, workers * bytes);
  }

  private void logRound(String name, Round round, long index, long rounds, long step, double validationLoss, double eta) {
    LOG.info(
        "{} round {}/{} step {}/{}: loss {}{}, {} tokens/s, padding {}%, {} KB broadcast, {} KB aggregated,"
            + " round {} ms of which averaging {} ms, ETA {} s",
        name, index, rounds, step, settings.steps(), String.format("%.4f", round.trainLoss()),
        Double.isNaN(validationLoss) ? "" : String.format(", validation loss %.4f", validationLoss),
        String.format("%.0f", round.tokens() / round.seconds()),
        String.format("%.1f", 100.0 * (1 - (double) round.tokens() / Math.max(1, round.slots()))),
        round.bytesBroadcast() / 1000, round.bytesAggregated() / 1000, Math.round(round.seconds() * 1000),
        Math.round(round.averagingSeconds() * 1000), Math.round(eta));
  }

  /**
   * LT-SFT's phase 1 on the executors (full fine-tuning of the targeted weights as dense
   * differences), the mask chosen on the driver from its result and saved beside the run, and phase
   * 2's adapter on it. A resumed run whose mask exists goes straight to phase 2.
   */
  private Adapter sparsePhaseTwo(
      SparseConfig sparse, JavaSparkContext context, JavaRDD<int[]> shards, RoundCounters counters, long workers)
      throws IOException {
    Path maskFile = maskFile();
    if (!(settings.resume() && Files.isRegularFile(maskFile))) {
      String name = artifact.getFileName() + " phase 1";
      ComputationGraph dense =
          MlmTrainer.network(model, sparse.create(model.architecture()), settings.learningRate(), settings.seed());
      SparkComputationGraph sparkNetwork = new SparkComputationGraph(context, dense, master(counters));
      TrainingLog log =
          TrainingLog.create(
              runDirectory.resolve("phase1_training_log.csv"), runDirectory.resolve("phase1_training_curve.png"), name);
      long rounds = (sparse.fullFtMaxSteps() + settings.averagingFrequency() - 1) / settings.averagingFrequency();
      double seconds = 0;
      for (long round = 1; round <= rounds; round++) {
        Round trained = trainRound(sparkNetwork, shards, -round, counters, workers);
        seconds += trained.seconds();
        long step = Math.min(round * settings.averagingFrequency(), sparse.fullFtMaxSteps());
        log.append(trained.row(step, Double.NaN));
        logRound(name, trained, round, rounds, step, Double.NaN, seconds / round * (rounds - round));
      }
      ComputationGraph trained = sparkNetwork.getNetwork();
      SparseDifference mask =
          SparseDifference.select(trained.getLayer("encoder").paramTable(), sparse.parameterCount(trained.numParams()));
      Files.createDirectories(runDirectory);
      SparseAdapter.writeMask(maskFile, mask);
      LOG.info("{}: mask of {} of {} entries saved as {}", name, mask.size(), trained.numParams(), maskFile);
    }
    return SparseAdapter.fromMaskFile(sparse, model.architecture(), maskFile);
  }

  private Path maskFile() {
    return runDirectory.resolve("lt_sft_mask.safetensors");
  }

  private static Adapter adapterOf(ComputationGraph network) {
    return (Adapter) ((EncoderLayer) network.getLayer("encoder").conf().getLayer()).adapter();
  }

  /**
   * A validation sample taken out of the training sequences, for a language whose prep output has
   * no validation split (too few documents to give it one): a tenth of them, at least one, at most
   * {@code --eval-sequences}, those first in an order that follows from their ids and the seed alone.
   * A language with a single training sequence trains without choosing: its adapter is the last.
   */
  private Validation carveValidation(JavaRDD<int[]> train, long trainSequences) {
    if (trainSequences < 2) {
      LOG.warn("{}: no validation split and 1 train sequence; training without choosing the best adapter (it is the last)",
          language);
      return new Validation(List.of(), Validation.NONE);
    }
    int carve = (int) Math.max(1, Math.min(settings.evalSequences(), trainSequences / 10));
    long seed = settings.seed();
    List<int[]> carved = train.takeOrdered(carve, new SeededOrder(seed));
    LOG.warn("{}: no validation split; {} of its {} train sequences are carved out to validate on, and not trained on",
        language, carved.size(), trainSequences);
    return new Validation(carved, Validation.CARVED);
  }

  /** Sequences by a seeded hash of their ids, then by the ids: the same order on every cluster. */
  private record SeededOrder(long seed) implements Comparator<int[]>, java.io.Serializable {
    @Override
    public int compare(int[] a, int[] b) {
      int byHash = Long.compare(mix(a), mix(b));
      return byHash != 0 ? byHash : Arrays.compare(a, b);
    }

    private long mix(int[] ids) {
      long h = seed * 0x9E3779B97F4A7C15L + Arrays.hashCode(ids);
      h = (h ^ (h >>> 33)) * 0xff51afd7ed558ccdL;
      return h ^ (h >>> 33);
    }
  }

  private static List<Integer> boxed(int[] ids) {
    return Arrays.stream(ids).boxed().toList();
  }

  private double validationLoss(ComputationGraph network, List<int[]> validation) {
    MlmMasking masking = new MlmMasking(settings.mlmProbability(), tokenizer.specialTokens(), tokenizer.vocabularySize());
    return MlmTrainer.validationLoss(
        FrozenWeightsCache.get(model, DataType.FLOAT), tokenizer, adapterOf(network),
        network.getLayer("encoder").paramTable(), validation, masking, settings.seed());
  }

  /**
   * The sequences in {@code workers} shards, each sequence's shard and place in it following from its
   * ids alone: a run draws the same batches whatever files prep wrote, in whatever order they are
   * listed, and in whatever order a shuffle delivers them.
   */
  static JavaRDD<int[]> shard(JavaRDD<int[]> sequences, int workers) {
    return sequences
        .mapToPair(ids -> new Tuple2<>(Arrays.hashCode(ids), ids))
        .partitionBy(new HashPartitioner(workers))
        .mapPartitions(DistributedTraining::canonicalOrder, true);
  }

  private static Iterator<int[]> canonicalOrder(Iterator<Tuple2<Integer, int[]>> shard) {
    List<int[]> sequences = new ArrayList<>();
    shard.forEachRemaining(keyed -> sequences.add(keyed._2()));
    sequences.sort(Comparator.<int[]>comparingInt(Arrays::hashCode).thenComparing(Arrays::compare));
    return sequences.iterator();
  }

  /** A sequence longer than {@code maxLength} cut to it, its [SEP] kept. */
  static int[] cut(int[] ids, int maxLength, int sep) {
    if (ids.length <= maxLength) {
      return ids;
    }
    int[] cut = Arrays.copyOf(ids, maxLength);
    cut[maxLength - 1] = sep;
    return cut;
  }

  /** The network with its Adam state, the best parameters and the round, replaced as a whole. */
  private static void checkpoint(
      Path checkpoint, ComputationGraph network, INDArray best, long round, double initialLoss, double bestLoss)
      throws IOException {
    Path staging = checkpoint.resolveSibling(checkpoint.getFileName() + ".staging");
    deleteRecursively(staging);
    Files.createDirectories(staging);
    ModelSerializer.writeModel(network, staging.resolve(NETWORK).toFile(), true);
    Nd4j.saveBinary(best, staging.resolve(BEST).toFile());
    ObjectNode state = JSON.createObjectNode();
    state.put("round", round);
    state.put("initial_validation_loss", initialLoss);
    state.put("best_validation_loss", bestLoss);
    JSON.writeValue(staging.resolve(STATE).toFile(), state);
    Path previous = checkpoint.resolveSibling(checkpoint.getFileName() + ".previous");
    deleteRecursively(previous);
    if (Files.exists(checkpoint)) {
      Files.move(checkpoint, previous, StandardCopyOption.ATOMIC_MOVE);
    }
    Files.move(staging, checkpoint, StandardCopyOption.ATOMIC_MOVE);
    deleteRecursively(previous);
  }

  private static void deleteRecursively(Path directory) throws IOException {
    if (!Files.exists(directory)) {
      return;
    }
    try (Stream<Path> files = Files.walk(directory)) {
      for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(file);
      }
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }
}
