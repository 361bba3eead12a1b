package dev.adapterforge.bench;

import dev.adapterforge.ops.adapters.AdapterConfig;
import dev.adapterforge.ops.adapters.AdapterMethod;
import dev.adapterforge.ops.encoder.EncoderLayer;
import dev.adapterforge.ops.encoder.RandomBertFolder;
import dev.adapterforge.ops.mlm.MaskedSequence;
import dev.adapterforge.ops.mlm.MlmBatches;
import dev.adapterforge.ops.mlm.MlmMasking;
import dev.adapterforge.ops.mlm.MlmTrainer;
import dev.adapterforge.ops.model.BaseModel;
import dev.adapterforge.ops.tokenizer.SpecialTokens;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.dataset.MultiDataSet;

/**
 * One configuration of {@link TrainingBench}, in this JVM (a fresh one, so that its memory peaks
 * are its own): timed training steps on fixed random batches, as the PyTorch baseline times them.
 */
final class TrainingBenchRun {
  /** The baseline cycles this many fixed batches. */
  private static final int BATCHES = 4;

  private static final double MLM_PROBABILITY = 0.15;
  private static final double LEARNING_RATE = 1e-4;

  private TrainingBenchRun() {}

  /** The methods the baseline has, with the reference paper's settings. */
  static AdapterConfig config(AdapterMethod method) {
    if (method == AdapterMethod.LT_SFT) {
      throw new IllegalArgumentException("lt_sft has no PyTorch baseline and is not benchmarked");
    }
    return AdapterTrainingBench.referenceConfig(method, 0);
  }

  /** Trains {@code warmup + steps} steps and returns the figures, as the child's JSON line carries them. */
  static Map<String, Object> run(
      BenchShape shape, AdapterMethod method, MlmTrainer.Head head, int warmup, int steps, Path work, long seed)
      throws IOException {
    BaseModel model = RandomBertFolder.write(work.resolve(shape.modelFolder()), shape.architecture(), seed);
    ComputationGraph graph =
        MlmTrainer.network(model, config(method).create(shape.architecture()), LEARNING_RATE, seed, head);
    SplittableRandom random = new SplittableRandom(seed);
    MlmMasking masking = new MlmMasking(MLM_PROBABILITY, RandomBertFolder.SPECIAL_TOKENS, shape.vocab());
    List<MultiDataSet> batches = new ArrayList<>();
    long realTokens = 0;
    long maskedTokens = 0;
    double flops = 0;
    for (int b = 0; b < BATCHES; b++) {
      List<MaskedSequence> batch = new ArrayList<>();
      int[] lengths = new int[shape.batch()];
      int[] masked = new int[shape.batch()];
      for (int row = 0; row < shape.batch(); row++) {
        lengths[row] = row == 0 ? shape.seq() : random.nextInt(shape.seq() / 2, shape.seq() + 1);
        MaskedSequence sequence = masking.mask(randomSequence(lengths[row], shape.vocab(), random), random);
        batch.add(sequence);
        masked[row] = sequence.maskedCount();
      }
      batches.add(MlmBatches.toDataSet(batch, RandomBertFolder.SPECIAL_TOKENS.pad(), shape.seq()));
      realTokens += Arrays.stream(lengths).sum();
      maskedTokens += Arrays.stream(masked).sum();
      flops +=
          TrainingFlops.perStep(
              shape.architecture(), method, lengths, masked, head, graph.getLayer("encoder").paramTable());
    }

    double[] millis = new double[steps];
    for (int step = 0; step < warmup + steps; step++) {
      long started = System.nanoTime();
      graph.fit(batches.get(step % BATCHES));
      if (step >= warmup) {
        millis[step - warmup] = (System.nanoTime() - started) / 1e6;
      }
    }
    Arrays.sort(millis);
    double median = steps % 2 == 1 ? millis[steps / 2] : (millis[steps / 2 - 1] + millis[steps / 2]) / 2;

    Map<String, Object> result = new LinkedHashMap<>();
    result.put("median_ms", median);
    result.put("min_ms", millis[0]);
    result.put("tokens_per_step", shape.batch() * shape.seq());
    result.put("real_tokens_per_step", (double) realTokens / BATCHES);
    result.put("masked_tokens_per_step", (double) maskedTokens / BATCHES);
    result.put("flops_per_step", flops / BATCHES);
    result.put("trainable_params", graph.numParams());
    result.put("final_loss", graph.score());
    result.put("runtime", ((EncoderLayer) graph.getLayer("encoder").conf().getLayer()).runtime().name().toLowerCase());
    long peakHeap = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        peakHeap += pool.getPeakUsage().getUsed();
      }
    }
    result.put("peak_heap_bytes", peakHeap);
    result.put("peak_rss_bytes", peakRss());
    return result;
  }

  /** [CLS], random ordinary tokens, [SEP], as the baseline's batches (its ids avoid the special ones too). */
  private static int[] randomSequence(int length, int vocab, SplittableRandom random) {
    SpecialTokens special = RandomBertFolder.SPECIAL_TOKENS;
    int lowest = Math.max(special.mask(), special.unk()) + 1;
    int[] ids = new int[length];
    ids[0] = special.cls();
    for (int i = 1; i < length - 1; i++) {
      ids[i] = random.nextInt(lowest, vocab);
    }
    ids[length - 1] = special.sep();
    return ids;
  }

  /** This process's peak resident set (VmHWM), which counts ND4J's native buffers as well as the heap. */
  private static long peakRss() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmHWM:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    throw new IOException("/proc/self/status has no VmHWM line");
  }
}
