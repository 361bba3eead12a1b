package dev.adapterforge.ops.mlm;

import dev.adapterforge.ops.adapters.Adapter;
import dev.adapterforge.ops.adapters.AdapterConfig;
import dev.adapterforge.ops.adapters.sparse.SparseAdapter;
import dev.adapterforge.ops.adapters.sparse.SparseConfig;
import dev.adapterforge.ops.adapters.sparse.SparseDifference;
import dev.adapterforge.ops.encoder.EncoderLayer;
import dev.adapterforge.ops.encoder.FrozenWeights;
import dev.adapterforge.ops.encoder.FrozenWeightsCache;
import dev.adapterforge.ops.encoder.MaskedLmGraph;
import dev.adapterforge.ops.encoder.MaskedLmLoss;
import dev.adapterforge.ops.model.BaseModel;
import dev.adapterforge.ops.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.RnnLossLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains one adapter on one JVM: the frozen encoder with the adapter in a DL4J ComputationGraph
 * whose loss projects only the masked tokens onto the vocabulary ({@link MaskedLmLoss}), Adam, dynamic MLM masking over length-bucketed batches, validation MLM loss (seeded masking,
 * {@link MlmEvaluator}) before training and every {@code evalEvery} steps. {@code lt_sft} runs its
 * two phases: full fine-tuning of the targeted weights, mask selection, sparse training from the
 * base weights again.
 */
public final class MlmTrainer {
  private static final Logger LOG = LoggerFactory.getLogger(MlmTrainer.class);
  private static final int EVALUATION_BATCH_TOKENS = 4096;

  /**
   * @param steps optimizer steps (lt_sft: its config's steps per phase instead)
   * @param evalEvery steps between validation losses
   */
  public record Settings(int steps, double learningRate, int batchSize, int evalEvery, long seed, double mlmProbability) {
    public Settings {
      if (steps < 1 || batchSize < 1 || evalEvery < 1) {
        throw new IllegalArgumentException("steps, batch size and eval-every must be positive");
      }
    }
  }

  /** One evaluated point of the run. */
  public record Point(int step, double trainLoss, double validationLoss) {}

  /**
   * @param adapter the trained adapter (lt_sft: its phase-2 sparse difference)
   * @param parameters its trained parameters, by name
   * @param curve validation loss at step 0 and at every evaluation, with the mean train loss since the
   *     previous point
   */
  public record Result(
      Adapter adapter,
      Map<String, INDArray> parameters,
      List<Point> curve,
      long steps,
      long trainedTokens,
      double tokensPerSecond,
      double paddingFraction) {

    public double initialValidationLoss() {
      return curve.get(0).validationLoss();
    }

    public double finalValidationLoss() {
      return curve.get(curve.size() - 1).validationLoss();
    }

    public long parameterCount() {
      return parameters.values().stream().mapToLong(INDArray::length).sum();
    }
  }

  private final BaseModel model;
  private final Tokenizer tokenizer;
  private final Settings settings;
  private final FrozenWeights weights;

  public MlmTrainer(BaseModel model, Tokenizer tokenizer, Settings settings) {
    this.model = model;
    this.tokenizer = tokenizer;
    this.settings = settings;
    this.weights = FrozenWeightsCache.get(model, DataType.FLOAT);
  }

  public Result train(AdapterConfig config, List<int[]> train, List<int[]> validation) {
    if (config instanceof SparseConfig sparse) {
      Result phase1 = run(sparse.create(model.architecture()), sparse.fullFtMaxSteps(), train, validation, "phase 1");
      long tunable = phase1.parameterCount();
      SparseDifference mask = SparseDifference.select(phase1.parameters(), sparse.parameterCount(tunable));
      LOG.info("LT-SFT mask: {} of {} entries of the targeted weights", mask.size(), tunable);
      Result phase2 =
          run(SparseAdapter.onMask(sparse, model.architecture(), mask), sparse.sparseFtMaxSteps(), train, validation, "phase 2");
      List<Point> curve = new ArrayList<>(phase1.curve());
      phase2.curve().stream().skip(1).forEach(p -> curve.add(new Point(p.step() + sparse.fullFtMaxSteps(), p.trainLoss(), p.validationLoss())));
      long steps = phase1.steps() + phase2.steps();
      long tokens = phase1.trainedTokens() + phase2.trainedTokens();
      double seconds = phase1.trainedTokens() / phase1.tokensPerSecond() + phase2.trainedTokens() / phase2.tokensPerSecond();
      return new Result(phase2.adapter(), phase2.parameters(), curve, steps, tokens, tokens / seconds, phase2.paddingFraction());
    }
    return run(config.create(model.architecture()), settings.steps(), train, validation, config.method().id());
  }

  private Result run(Adapter adapter, int steps, List<int[]> train, List<int[]> validation, String label) {
    ComputationGraph graph = graph(adapter);
    Map<String, INDArray> parameters = graph.getLayer("encoder").paramTable();
    MlmMasking masking = new MlmMasking(settings.mlmProbability(), tokenizer.specialTokens(), tokenizer.vocabularySize());
    MlmBatches batches = new MlmBatches(train, settings.batchSize(), masking, tokenizer.specialTokens(), settings.seed());
    List<Point> curve = new ArrayList<>();
    curve.add(new Point(0, Double.NaN, validationLoss(adapter, parameters, validation, masking)));
    LOG.info("{}: {} trainable parameters, validation loss {}", label, graph.numParams(), curve.get(0).validationLoss());
    double lossSum = 0;
    int lossSteps = 0;
    long trainingNanos = 0;
    for (int step = 1; step <= steps; step++) {
      MultiDataSet batch = batches.next();
      long started = System.nanoTime();
      graph.fit(batch);
      trainingNanos += System.nanoTime() - started;
      // DL4J's score sums the masked tokens' cross-entropy per sequence and averages over sequences
      double masked = batch.getLabelsMaskArray(0).sumNumber().doubleValue();
      lossSum += graph.score() * batch.getFeatures(0).size(0) / masked;
      lossSteps++;
      if (step % settings.evalEvery() == 0 || step == steps) {
        double validationLoss = validationLoss(adapter, parameters, validation, masking);
        curve.add(new Point(step, lossSum / lossSteps, validationLoss));
        LOG.info(
            "{} step {}/{}: train loss {}, validation loss {}, {} tokens/s",
            label, step, steps, String.format("%.4f", lossSum / lossSteps), String.format("%.4f", validationLoss),
            String.format("%.0f", batches.realTokens() / (trainingNanos / 1e9)));
        lossSum = 0;
        lossSteps = 0;
      }
    }
    Map<String, INDArray> trained = new LinkedHashMap<>();
    parameters.forEach((name, value) -> trained.put(name, value.dup()));
    return new Result(
        adapter, trained, curve, steps, batches.realTokens(), batches.realTokens() / (trainingNanos / 1e9), batches.paddingFraction());
  }

  private double validationLoss(Adapter adapter, Map<String, INDArray> parameters, List<int[]> validation, MlmMasking masking) {
    return validationLoss(weights, tokenizer, adapter, parameters, validation, masking, settings.seed());
  }

  private ComputationGraph graph(Adapter adapter) {
    return network(model, adapter, settings.learningRate(), settings.seed());
  }

  /** Where the training network projects the MLM head's states onto the vocabulary. */
  public enum Head {
    /**
     * Only at the masked positions, inside {@link MaskedLmLoss}, the encoder's last layer and MLM head
     * computed there alone ({@link EncoderLayer#withPredictedRowsOnly}): what training uses.
     */
    MASKED,
    /**
     * At every position, then a softmax cross-entropy over the masked ones, as Hugging Face's
     * BertForMaskedLM computes it (non-masked labels ignored): {@link
     * MaskedLmLoss#atEveryPosition}; for comparisons only.
     */
    ALL
  }

  /**
   * The training network: the encoder with {@code adapter} emitting the MLM head's states, and a
   * loss layer with {@link MaskedLmLoss}; Adam. Its only parameters are the adapter's. Batches are
   * {@link MlmBatches}'.
   */
  public static ComputationGraph network(BaseModel model, Adapter adapter, double learningRate, long seed) {
    return network(model, adapter, learningRate, seed, Head.MASKED);
  }

  /**
   * The training network with either head; both read {@link MlmBatches}' batches (target ids, the
   * masked positions as label mask).
   */
  public static ComputationGraph network(BaseModel model, Adapter adapter, double learningRate, long seed, Head head) {
    MaskedLmLoss lossFunction = head == Head.MASKED ? new MaskedLmLoss(model) : MaskedLmLoss.atEveryPosition(model);
    RnnLossLayer loss = new RnnLossLayer.Builder().lossFunction(lossFunction).activation(Activation.IDENTITY).build();
    EncoderLayer encoder = new EncoderLayer(model, EncoderLayer.Output.MLM_TRANSFORMED, adapter);
    if (head == Head.MASKED) {
      encoder = encoder.withPredictedRowsOnly();
    }
    ComputationGraph graph =
        new ComputationGraph(
            new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(DataType.FLOAT)
                .updater(new Adam(learningRate))
                .graphBuilder()
                .addInputs("ids")
                .setInputTypes(InputType.recurrent(1))
                .addLayer("encoder", encoder, "ids")
                .addLayer("mlm", loss, "encoder")
                .setOutputs("mlm")
                .build());
    graph.init();
    return graph;
  }

  /** The validation MLM loss of an adapter with these parameters, as {@link MlmTrainer} evaluates. */
  public static double validationLoss(
      FrozenWeights weights, Tokenizer tokenizer, Adapter adapter, Map<String, INDArray> parameters,
      List<int[]> validation, MlmMasking masking, long seed) {
    MlmEvaluator evaluator =
        new MlmEvaluator(new MaskedLmGraph(weights, adapter, parameters), tokenizer.specialTokens(), EVALUATION_BATCH_TOKENS);
    return evaluator.mlmLoss(validation, masking, seed).meanLoss();
  }
}
