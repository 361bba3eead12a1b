package dev.adapterforge.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.adapterforge.cli.AdapterForge;
import dev.adapterforge.job.Range;
import dev.adapterforge.job.TextTable;
import dev.adapterforge.job.UsageException;
import dev.adapterforge.ops.adapters.AdapterMethod;
import dev.adapterforge.ops.encoder.RandomBertFolder;
import dev.adapterforge.ops.mlm.MlmTrainer;
import dev.adapterforge.ops.runtime.BlasChoice;
import dev.adapterforge.ops.runtime.Nd4jRuntime;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Times adapter training steps on random-weight BERT models of shared/bench/BASELINE.md's shapes
 * against the PyTorch baseline (shared/bench/bench_torch.py) run on the same configurations, and
 * against this machine's GEMM limit. Each configuration (model shape, method, MLM head) trains in
 * a fresh child JVM started with this JVM's options, so that its memory peaks are its own; the
 * child prints one JSON line ({@link TrainingBenchRun}). tokens/s is batch × seq / median step
 * time, as the torch script counts it; GFLOP/s counts the real tokens' matrix products ({@link
 * TrainingFlops}).
 */
@Command(
    name = "train",
    description =
        "Times adapter training steps (seq_bn, lora, seq_bn_inv; MLM logits at all or at masked positions) on"
            + " random BERT models of BASELINE.md's shapes, each in a fresh JVM; prints ms/step, tokens/s, GFLOP/s"
            + " against the GEMM limit, memory peaks, and the ratio to PyTorch on the same configurations."
            + " The last line is a JSON summary of mbert-128x16 seq_bn (masked head).")
public final class TrainingBench implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PYTHON = "/usr/bin/python3";
  private static final String TORCH_SCRIPT = "shared/bench/bench_torch.py";
  /** The configuration the summary line reports, as the target names it. */
  private static final String SUMMARY_MODEL = "mbert-128x16";

  @Option(names = "--models", split = ",", description = "Preset shapes: small, mbert-128x16, mbert-64x8 (BASELINE.md); default all of them unless --shape is given.")
  List<String> models;

  @Option(names = "--shape", paramLabel = "NAME:L,H,A,F,V,SEQ,BATCH", description = "A shape of your own: layers, hidden, heads, FFN, vocabulary, sequence length, batch; repeatable.")
  List<String> shapes;

  @Option(names = "--methods", split = ",", defaultValue = "seq_bn,lora,seq_bn_inv", description = "Adapter methods.")
  List<String> methods;

  @Option(names = "--heads", split = ",", defaultValue = "all,masked", description = "MLM heads: all (logits at every position, as Hugging Face), masked (only at masked positions).")
  List<String> heads;

  @Range(min = 0)
  @Option(names = "--warmup", defaultValue = "3", description = "Untimed steps per configuration.")
  int warmup;

  @Range(min = 1)
  @Option(names = "--steps", description = "Timed steps per configuration; default 10, 5 at 12 layers or more (BASELINE.md).")
  Integer steps;

  @Option(names = "--work", defaultValue = ".adapterforge/bench/train", paramLabel = "DIR", description = "Where the random models are written (once per shape).")
  Path work;

  /** Whether to run the PyTorch baseline too; lower case, as the option spells it. */
  enum Torch {
    /** where /usr/bin/python3 imports torch and the script is found */
    auto,
    off
  }

  @Option(names = "--torch", defaultValue = "auto", description = "auto: also run the PyTorch baseline where " + PYTHON + " imports torch; off.")
  Torch torch;

  @Option(names = "--torch-script", paramLabel = "FILE", description = "The baseline script; default ../" + TORCH_SCRIPT + " beside the project.")
  Path torchScript;

  @Range(min = 1)
  @Option(names = "--gemm-size", defaultValue = "4096", description = "Side of the square float GEMM that measures this machine's limit.")
  int gemmSize;

  @Option(names = "--jvm-options", defaultValue = "", description = "Extra options for the child JVMs, space-separated, e.g. -Dadapterforge.encoder.runtime=samediff.")
  String jvmOptions;

  @Option(names = "--seed", defaultValue = "42", description = "Seed of the weights and batches.")
  long seed;

  /** Set in a child JVM: measure the SGEMM rate of the BLAS this JVM loaded and print it as a JSON line. */
  @Option(names = "--gemm-only", hidden = true)
  boolean gemmOnly;

  /** Set in the child JVM: run the one configuration here and print its JSON line. */
  @Option(names = "--in-this-jvm", hidden = true)
  boolean inThisJvm;

  @Spec CommandSpec spec;

  private record Config(BenchShape shape, AdapterMethod method, MlmTrainer.Head head) {
    String label() {
      return shape.name() + " " + method.id() + " " + TrainingBench.label(head);
    }
  }

  @Override
  public Integer call() throws Exception {
    List<BenchShape> benchShapes = shapes();
    List<AdapterMethod> benchMethods = methods();
    List<MlmTrainer.Head> benchHeads = heads();
    PrintWriter out = spec.commandLine().getOut();
    if (gemmOnly) {
      out.println(JSON.writeValueAsString(Map.of("blas", Nd4jRuntime.probe().blasVendor(), "gemm_gflops", gemmGflops(gemmSize))));
      out.flush();
      return 0;
    }
    if (inThisJvm) {
      if (benchShapes.size() != 1 || benchMethods.size() != 1 || benchHeads.size() != 1) {
        throw new UsageException("--in-this-jvm runs exactly one shape, method and head");
      }
      BenchShape shape = benchShapes.get(0);
      Map<String, Object> result =
          TrainingBenchRun.run(shape, benchMethods.get(0), benchHeads.get(0), warmup, steps(shape), work, seed);
      out.println(JSON.writeValueAsString(result));
      out.flush();
      return 0;
    }

    Nd4jRuntime runtime = Nd4jRuntime.probe();
    Map<String, Double> limits = gemmLimits();
    double gemmLimit = limits.values().stream().mapToDouble(Double::doubleValue).max().orElseThrow();
    out.printf(Locale.ROOT,
        "GEMM limit: %.1f GFLOP/s, the best float %dx%d SGEMM through ND4J among its BLASes here (%s);"
            + " training runs on %s (%s), %d OpenMP threads%n",
        gemmLimit, gemmSize, gemmSize, limits.entrySet().stream().map(e -> format("%s %.1f", e.getKey(), e.getValue())).toList(),
        runtime.blasVendor(), BlasChoice.forThisCpu(), runtime.ompThreads());
    Path script = torchScript();
    out.println(script == null ? "PyTorch baseline: not installed (or --torch off)" : "PyTorch baseline: " + PYTHON + " " + script);
    out.flush();

    TextTable table =
        new TextTable("model", "method", "head", "median ms", "min ms", "tok/s", "real tok/s", "GFLOP/s", "% GEMM",
            "peak heap MB", "peak RSS MB", "RSS-heap MB", "torch ms", "torch tok/s", "torch RSS MB", "ratio");
    Map<Config, JsonNode> ours = new LinkedHashMap<>();
    Map<Config, JsonNode> theirs = new LinkedHashMap<>();
    boolean failed = false;
    for (BenchShape shape : benchShapes) {
      for (AdapterMethod method : benchMethods) {
        for (MlmTrainer.Head head : benchHeads) {
          Config config = new Config(shape, method, head);
          spec.commandLine().getErr().println("bench train: " + config.label());
          spec.commandLine().getErr().flush();
          JsonNode result = child(config);
          JsonNode baseline = script == null ? null : torch(script, config);
          if (result == null) {
            failed = true;
            table.add(shape.name(), method.id(), label(head), "failed", "", "", "", "", "", "", "", "", "", "", "", "");
            continue;
          }
          ours.put(config, result);
          if (baseline != null) {
            theirs.put(config, baseline);
          }
          double seconds = result.get("median_ms").asDouble() / 1e3;
          double tokensPerSecond = result.get("tokens_per_step").asDouble() / seconds;
          double gflops = result.get("flops_per_step").asDouble() / seconds / 1e9;
          // a line per configuration as it ends: an hour-long run that fails late keeps what it measured
          spec.commandLine().getErr().printf(Locale.ROOT, "bench train: %s: %.0f ms/step, %.0f tok/s, %.1f GFLOP/s%s%n",
              config.label(), seconds * 1e3, tokensPerSecond, gflops,
              baseline == null ? "" : format("; torch %.0f ms/step, %.0f tok/s", baseline.get("ms_step_median").asDouble(),
                  baseline.get("tokens_per_s_median").asDouble()));
          table.add(
              shape.name(), method.id(), label(head),
              format("%.0f", result.get("median_ms").asDouble()),
              format("%.0f", result.get("min_ms").asDouble()),
              format("%.0f", tokensPerSecond),
              format("%.0f", result.get("real_tokens_per_step").asDouble() / seconds),
              figures(gflops),
              figures(100 * gflops / gemmLimit) + "%",
              megabytes(result.get("peak_heap_bytes").asDouble()),
              megabytes(result.get("peak_rss_bytes").asDouble()),
              megabytes(Math.max(0, result.get("peak_rss_bytes").asDouble() - result.get("peak_heap_bytes").asDouble())),
              baseline == null ? "-" : format("%.0f", baseline.get("ms_step_median").asDouble()),
              baseline == null ? "-" : format("%.0f", baseline.get("tokens_per_s_median").asDouble()),
              baseline == null ? "-" : format("%.0f", baseline.get("peak_rss_mb").asDouble()),
              baseline == null ? "-" : format("%.2f", tokensPerSecond / baseline.get("tokens_per_s_median").asDouble()));
        }
      }
    }
    out.println();
    out.print(table);
    out.println("tok/s = batch x seq / median step (as the torch script counts); real tok/s counts no padding;"
        + " GFLOP/s counts the real tokens' matrix products; RSS-heap = peak RSS - peak heap used, roughly ND4J's native"
        + " memory and the JVM's own; ratio = our tok/s / torch's, same head.");
    out.println(summary(ours, theirs, gemmLimit));
    out.flush();
    return failed ? 1 : 0;
  }

  /**
   * The summary: mbert-128x16 seq_bn with the masked head, its ratio taken against
   * PyTorch's faster head on the same shape and method; else the first configuration run, named.
   */
  private static String summary(Map<Config, JsonNode> ours, Map<Config, JsonNode> theirs, double gemmLimit)
      throws IOException {
    Config target =
        ours.keySet().stream()
            .filter(c -> c.shape().name().equals(SUMMARY_MODEL) && c.method() == AdapterMethod.SEQ_BN && c.head() == MlmTrainer.Head.MASKED)
            .findFirst()
            .orElse(ours.keySet().stream().findFirst().orElse(null));
    ObjectNode summary = JSON.createObjectNode();
    if (target == null) {
      summary.put("case", "none: every configuration failed");
      return JSON.writeValueAsString(summary);
    }
    JsonNode result = ours.get(target);
    double seconds = result.get("median_ms").asDouble() / 1e3;
    double tokensPerSecond = result.get("tokens_per_step").asDouble() / seconds;
    Double fastestTorch =
        theirs.entrySet().stream()
            .filter(e -> e.getKey().shape().equals(target.shape()) && e.getKey().method() == target.method())
            .map(e -> e.getValue().get("tokens_per_s_median").asDouble())
            .max(Double::compare)
            .orElse(null);
    summary.put("tokens_per_s", round(tokensPerSecond));
    if (fastestTorch == null) {
      summary.putNull("pytorch_tokens_per_s");
      summary.putNull("ratio");
    } else {
      summary.put("pytorch_tokens_per_s", round(fastestTorch));
      summary.put("ratio", round(tokensPerSecond / fastestTorch));
    }
    summary.put("gflops", round(result.get("flops_per_step").asDouble() / seconds / 1e9));
    summary.put("gemm_limit_gflops", round(gemmLimit));
    summary.put("peak_bytes", result.get("peak_rss_bytes").asLong());
    summary.put("case", target.label());
    return JSON.writeValueAsString(summary);
  }

  /** Four significant figures: enough for timings this noisy, and a tiny model's GFLOP/s stays non-zero. */
  private static double round(double value) {
    return new BigDecimal(value).round(new MathContext(4)).doubleValue();
  }

  private List<BenchShape> shapes() {
    List<BenchShape> selected = new ArrayList<>();
    List<String> names = models != null ? models : shapes == null ? List.copyOf(BenchShape.PRESETS.keySet()) : List.of();
    for (String name : names) {
      BenchShape shape = BenchShape.PRESETS.get(name.strip());
      if (shape == null) {
        throw new UsageException("--models: unknown model \"" + name + "\"; one of " + BenchShape.PRESETS.keySet());
      }
      selected.add(shape);
    }
    for (String value : shapes == null ? List.<String>of() : shapes) {
      try {
        BenchShape shape = BenchShape.parse(value);
        if (shape.vocab() < RandomBertFolder.MIN_VOCABULARY) {
          throw new IllegalArgumentException("vocabulary " + shape.vocab() + " is below " + RandomBertFolder.MIN_VOCABULARY);
        }
        selected.add(shape);
      } catch (IllegalArgumentException e) {
        throw new UsageException("--shape: " + e.getMessage(), e);
      }
    }
    return selected;
  }

  private List<AdapterMethod> methods() {
    List<AdapterMethod> selected = new ArrayList<>();
    for (String id : methods) {
      try {
        AdapterMethod method = AdapterMethod.of(id.strip());
        TrainingBenchRun.config(method);
        selected.add(method);
      } catch (IllegalArgumentException e) {
        throw new UsageException("--methods: " + e.getMessage(), e);
      }
    }
    return selected;
  }

  private List<MlmTrainer.Head> heads() {
    List<MlmTrainer.Head> selected = new ArrayList<>();
    for (String name : heads) {
      try {
        selected.add(MlmTrainer.Head.valueOf(name.strip().toUpperCase(Locale.ROOT)));
      } catch (IllegalArgumentException e) {
        throw new UsageException("--heads: unknown head \"" + name + "\"; all or masked", e);
      }
    }
    return selected;
  }

  private int steps(BenchShape shape) {
    return steps != null ? steps : shape.defaultSteps();
  }

  /** Runs one configuration in a fresh JVM; null, after its exit status is reported, if it failed. */
  private JsonNode child(Config config) throws IOException, InterruptedException {
    List<String> command = childJvm(List.of());
    command.addAll(List.of(
        "--in-this-jvm", "--torch", "off", "--shape", config.shape().spec(),
        "--methods", config.method().id(), "--heads", label(config.head()), "--warmup", String.valueOf(warmup),
        "--steps", String.valueOf(steps(config.shape())), "--work", work.toAbsolutePath().toString(),
        "--seed", String.valueOf(seed)));
    return lastJsonLine(command, config.label());
  }

  /**
   * The SGEMM rate of each BLAS ND4J can load, each in a JVM of its own (a JVM loads one): the limit a
   * step's GFLOP/s is a share of is this machine's best, not whichever this JVM loaded.
   */
  private Map<String, Double> gemmLimits() throws IOException, InterruptedException {
    Map<String, Double> limits = new LinkedHashMap<>();
    for (String library : List.of(BlasChoice.MKL, BlasChoice.OPENBLAS)) {
      List<String> command = childJvm(List.of("-D" + BlasChoice.PROPERTY + "=" + library));
      command.addAll(List.of("--gemm-only", "--torch", "off", "--gemm-size", String.valueOf(gemmSize)));
      JsonNode measured = lastJsonLine(command, "GEMM limit with " + library);
      if (measured != null) {
        limits.put(measured.get("blas").asText(), measured.get("gemm_gflops").asDouble());
      }
    }
    if (limits.isEmpty()) {
      throw new IllegalStateException("no BLAS measured its GEMM limit (see above)");
    }
    return limits;
  }

  /** {@code java}, this JVM's options, {@code jvmOptions} after them (so they win), and {@code bench train}. */
  private List<String> childJvm(List<String> jvmOptions) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
    if (!this.jvmOptions.isBlank()) {
      command.addAll(List.of(this.jvmOptions.strip().split("\\s+")));
    }
    command.addAll(jvmOptions);
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), AdapterForge.class.getName(), "bench", "train"));
    return command;
  }

  /** Runs the baseline script on the same configuration; null if it failed. */
  private JsonNode torch(Path script, Config config) throws IOException, InterruptedException {
    BenchShape s = config.shape();
    List<String> command =
        List.of(PYTHON, script.toString(), "--layers", String.valueOf(s.layers()), "--hidden", String.valueOf(s.hidden()),
            "--heads", String.valueOf(s.heads()), "--ffn", String.valueOf(s.ffn()), "--vocab", String.valueOf(s.vocab()),
            "--seq", String.valueOf(s.seq()), "--batch", String.valueOf(s.batch()), "--method", config.method().id(),
            "--head-tokens", label(config.head()), "--warmup", String.valueOf(warmup), "--steps",
            String.valueOf(steps(s)), "--threads", "2");
    return lastJsonLine(command, config.label());
  }

  /** The last line of the process's output that is a JSON object; its error output goes to ours. */
  private JsonNode lastJsonLine(List<String> command, String label) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String output;
    try (InputStream stdout = process.getInputStream()) {
      output = new String(stdout.readAllBytes(), StandardCharsets.UTF_8);
    }
    int exit = process.waitFor();
    String json = output.lines().filter(line -> line.startsWith("{")).reduce((first, second) -> second).orElse(null);
    if (exit != 0 || json == null) {
      spec.commandLine().getErr().printf("bench train: %s failed (exit %d): %s%n%s%n", label, exit, command.get(0), output);
      return null;
    }
    return JSON.readTree(json);
  }

  /** The baseline script, if --torch auto finds it and a Python that imports torch. */
  private Path torchScript() throws IOException, InterruptedException {
    if (torch == Torch.off) {
      return null;
    }
    Path script = torchScript;
    if (script == null) {
      // the project's parent, from the application jar's place (pipeline-jobs/target/), else the working directory's
      String jar = System.getProperty("adapterforge.app.jar");
      Path project = jar == null ? Path.of("").toAbsolutePath() : Path.of(jar).toAbsolutePath().getParent().getParent().getParent();
      script = project.resolveSibling(TORCH_SCRIPT);
    }
    if (!Files.isRegularFile(script)) {
      if (torchScript != null) {
        throw new UsageException("--torch-script: no such file: " + torchScript);
      }
      return null;
    }
    if (!Files.isExecutable(Path.of(PYTHON))) {
      return null;
    }
    Process probe = new ProcessBuilder(PYTHON, "-c", "import torch").redirectErrorStream(true).start();
    probe.getInputStream().readAllBytes();
    return probe.waitFor() == 0 ? script : null;
  }

  /** Best of a few timed float GEMMs of {@code n}×{@code n} matrices, after one untimed. */
  static double gemmGflops(int n) {
    INDArray a = Nd4j.rand(DataType.FLOAT, n, n);
    INDArray b = Nd4j.rand(DataType.FLOAT, n, n);
    INDArray c = Nd4j.create(DataType.FLOAT, n, n);
    double best = Double.MAX_VALUE;
    for (int rep = 0; rep < 4; rep++) {
      long started = System.nanoTime();
      Nd4j.gemm(a, b, c, false, false, 1.0, 0.0);
      double seconds = (System.nanoTime() - started) / 1e9;
      if (rep > 0) {
        best = Math.min(best, seconds);
      }
    }
    for (INDArray array : new INDArray[] {a, b, c}) {
      array.close();
    }
    return 2.0 * n * n * n / best / 1e9;
  }

  private static String label(MlmTrainer.Head head) {
    return head.name().toLowerCase(Locale.ROOT);
  }

  private static String format(String pattern, Object... values) {
    return String.format(Locale.ROOT, pattern, values);
  }

  /** Three significant figures, none after the point from 100 up: tiny test models run at a few MFLOP/s. */
  private static String figures(double value) {
    return value >= 100 ? format("%.0f", value) : format("%.3g", value);
  }

  private static String megabytes(double bytes) {
    return format("%.0f", bytes / (1 << 20));
  }
}
