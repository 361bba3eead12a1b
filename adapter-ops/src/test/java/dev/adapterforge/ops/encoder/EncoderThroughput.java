package dev.adapterforge.ops.encoder;

import dev.adapterforge.ops.model.BaseModel;
import dev.adapterforge.ops.model.BaseModelResolver;
import dev.adapterforge.ops.runtime.Nd4jRuntime;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.bytedeco.javacpp.Pointer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Measures mBERT's forward throughput and memory, run by hand rather than in the build: {@code java
 * -Xms2g -Xmx2g -XX:+AlwaysPreTouch -Dadapterforge.models.dir=models -cp <test classpath>
 * dev.adapterforge.ops.encoder.EncoderThroughput [batch 16] [length 128] [rounds 3]}. Times the
 * last hidden states two ways: the encoder's SameDiff graph alone, and the DL4J ComputationGraph
 * with {@link EncoderLayer}. Memory is sampled every 10 ms: heap used, the process's resident set
 * ({@code Pointer.physicalBytes}, what JavaCPP's maxphysicalbytes limit checks) and off-heap as the
 * resident set less the committed heap, exact once the heap is pre-touched (JVM internals such as
 * metaspace count as off-heap). ND4J's CPU buffers are allocated by libnd4j, so neither {@code
 * Pointer.totalBytes} nor ND4J's allocation tracker counts them.
 */
public final class EncoderThroughput {

  private EncoderThroughput() {}

  public static void main(String[] args) throws Exception {
    int batch = args.length > 0 ? Integer.parseInt(args[0]) : 16;
    int length = args.length > 1 ? Integer.parseInt(args[1]) : 128;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    MemorySampler memory = new MemorySampler();
    memory.start();

    System.out.printf(
        "%s, java -Xmx %d MB%n", Nd4jRuntime.probe(), Runtime.getRuntime().maxMemory() >> 20);
    BaseModel mbert = BaseModelResolver.fromEnvironment().resolve("mbert");
    long started = System.nanoTime();
    FrozenWeights weights = FrozenWeightsCache.get(mbert, DataType.FLOAT);
    System.out.printf(
        "weights loaded in %.1f s; %s%n", (System.nanoTime() - started) / 1e9, memory);

    Random random = new Random(1);
    int[][] ids = new int[batch][length];
    for (int[] row : ids) {
      for (int position = 0; position < length; position++) {
        row[position] = 1000 + random.nextInt(weights.architecture().vocabSize() - 1000);
      }
    }
    INDArray idArray = Nd4j.createFromArray(ids);
    INDArray mask = Nd4j.ones(DataType.FLOAT, batch, length);

    // what EncoderLayer.defineLayer does each time DL4J builds a worker's network
    started = System.nanoTime();
    SameDiff sd = SameDiff.create();
    SDVariable states =
        new Encoder(sd, weights, null, Map.of())
            .hiddenStates(
                sd.placeHolder("ids", DataType.INT32, -1, -1),
                sd.placeHolder("mask", DataType.FLOAT, -1, -1));
    System.out.printf(
        "graph of %d ops defined in %d ms%n",
        sd.getOps().size(), (System.nanoTime() - started) / 1_000_000);
    Map<String, INDArray> placeholders = Map.of("ids", idArray, "mask", mask);
    time(
        "SameDiff encoder",
        batch * length,
        rounds,
        () -> sd.outputSingle(placeholders, states.name()),
        memory);

    ComputationGraph graph =
        new ComputationGraph(
            new NeuralNetConfiguration.Builder()
                .graphBuilder()
                .addInputs("ids")
                .setInputTypes(InputType.recurrent(1, length))
                .addLayer(
                    "encoder",
                    new EncoderLayer(mbert, EncoderLayer.Output.HIDDEN_STATES, null),
                    "ids")
                .setOutputs("encoder")
                .build());
    graph.init();
    INDArray[] input = {idArray.castTo(DataType.FLOAT).reshape(batch, 1, length)};
    INDArray[] inputMask = {mask};
    time(
        "DL4J EncoderLayer",
        batch * length,
        rounds,
        () -> graph.output(false, input, inputMask),
        memory);

    memory.interrupt();
    System.out.printf(
        "peak heap used %d MB (heap pools' peaks %d MB); peak resident %d MB; peak off-heap %d"
            + " MB%n",
        memory.peakHeap.get() >> 20,
        heapPoolPeaks() >> 20,
        memory.peakResident.get() >> 20,
        memory.peakOffHeap.get() >> 20);
  }

  private static void time(
      String path, int tokens, int rounds, Runnable forward, MemorySampler memory) {
    long warmUp = System.nanoTime();
    forward.run();
    System.out.printf("%-18s warm-up %.2f s%n", path, (System.nanoTime() - warmUp) / 1e9);
    double best = Double.MAX_VALUE;
    double total = 0;
    for (int round = 0; round < rounds; round++) {
      long started = System.nanoTime();
      forward.run();
      double seconds = (System.nanoTime() - started) / 1e9;
      best = Math.min(best, seconds);
      total += seconds;
      System.out.printf(
          "%-18s round %d: %.2f s, %,.0f tokens/s; %s%n",
          path, round + 1, seconds, tokens / seconds, memory);
    }
    System.out.printf(
        "%-18s mean %,.0f tokens/s, best %,.0f tokens/s%n",
        path, tokens * rounds / total, tokens / best);
  }

  private static long heapPoolPeaks() {
    return ManagementFactory.getMemoryPoolMXBeans().stream()
        .filter(pool -> pool.getType() == MemoryType.HEAP)
        .map(MemoryPoolMXBean::getPeakUsage)
        .mapToLong(usage -> usage.getUsed())
        .sum();
  }

  /** Peaks of heap used, resident set and off-heap memory, sampled on a daemon thread. */
  private static final class MemorySampler extends Thread {
    final AtomicLong peakHeap = new AtomicLong();
    final AtomicLong peakResident = new AtomicLong();
    final AtomicLong peakOffHeap = new AtomicLong();

    MemorySampler() {
      super("memory-sampler");
      setDaemon(true);
    }

    @Override
    public void run() {
      while (!isInterrupted()) {
        Runtime runtime = Runtime.getRuntime();
        long resident = Pointer.physicalBytes();
        peakHeap.accumulateAndGet(runtime.totalMemory() - runtime.freeMemory(), Math::max);
        peakResident.accumulateAndGet(resident, Math::max);
        peakOffHeap.accumulateAndGet(resident - runtime.totalMemory(), Math::max);
        try {
          Thread.sleep(10);
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    @Override
    public String toString() {
      Runtime runtime = Runtime.getRuntime();
      long resident = Pointer.physicalBytes();
      return String.format(
          "heap used %d MB, resident %d MB, off-heap %d MB",
          (runtime.totalMemory() - runtime.freeMemory()) >> 20,
          resident >> 20,
          (resident - runtime.totalMemory()) >> 20);
    }
  }
}
