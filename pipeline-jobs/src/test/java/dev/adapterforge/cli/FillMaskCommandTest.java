package dev.adapterforge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adapterforge.job.CommandRun;
import dev.adapterforge.ops.adapters.Adapter;
import dev.adapterforge.ops.adapters.AdapterArtifact;
import dev.adapterforge.ops.adapters.ArtifactLineage;
import dev.adapterforge.ops.adapters.bottleneck.BottleneckConfig;
import dev.adapterforge.ops.checkpoint.Tensor;
import dev.adapterforge.ops.encoder.EncoderGraphs;
import dev.adapterforge.ops.encoder.TinyModel;
import dev.adapterforge.ops.model.BaseModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The command on the real mBERT weights (REFERENCE section 2: France 0.327, Paris 0.193, Europe 0.108). */
class FillMaskCommandTest {
  @TempDir Path dir;

  @Test
  void mbertFillsTheCapitalOfFrance() {
    CommandRun run = CommandRun.of(new AdapterForge(), "fill-mask", "--text", "Paris is the capital of [MASK].", "--top-k", "3");
    assertEquals(0, run.exitCode(), run.toString());
    String[] lines = run.out().strip().split("\n");
    assertTrue(lines[1].matches("1\\s+France\\s+0\\.327\\d"), run.out());
    assertTrue(lines[2].matches("2\\s+Paris\\s+0\\.193\\d"), run.out());
  }

  /** A NaN weight, in the base model or in an adapter whose checksum was made to match, is refused by name. */
  @Test
  void nonFiniteWeightsAreAUsageErrorNamingTheTensor() throws IOException {
    Map<String, Tensor> weights = TinyModel.huggingFaceWeights(TinyModel.tensorFlowWeights(TinyModel.BERT, 5), false);
    BaseModel model = TinyModel.write(dir.resolve("tiny"), TinyModel.BERT, weights);
    Adapter adapter = BottleneckConfig.DEFAULT.withReductionFactor(2).create(TinyModel.BERT);
    Map<String, INDArray> parameters = new LinkedHashMap<>();
    EncoderGraphs.mlmLogits(model, adapter).getLayer("encoder").paramTable().forEach((name, value) -> parameters.put(name, value.dup()));
    parameters.values().iterator().next().putScalar(0, Float.NaN);
    Path poisonedAdapter = dir.resolve("nan-adapter");
    AdapterArtifact.write(
        poisonedAdapter, adapter, parameters, model,
        new ArtifactLineage(null, "xx", null, null, null, null, null, null, null, "test"), "xx");
    CommandRun withAdapter = CommandRun.of(new AdapterForge(), "fill-mask", "--base-model", model.directory().toString(),
        "--adapter", poisonedAdapter.toString(), "--text", "a [MASK]");
    assertEquals(2, withAdapter.exitCode(), withAdapter.toString());
    assertTrue(withAdapter.err().contains("--adapter: ") && withAdapter.err().contains("holds NaN"), withAdapter.toString());

    String bias = "cls.predictions.bias";
    Map<String, Tensor> poisoned = new LinkedHashMap<>(weights);
    float[] values = poisoned.get(bias).toFloats();
    values[2] = Float.POSITIVE_INFINITY;
    poisoned.put(bias, Tensor.ofFloats(bias, poisoned.get(bias).shape(), values));
    BaseModel poisonedModel = TinyModel.write(dir.resolve("poisoned"), TinyModel.BERT, poisoned);
    CommandRun withBase = CommandRun.of(new AdapterForge(), "fill-mask", "--base-model", poisonedModel.directory().toString(), "--text", "a [MASK]");
    assertEquals(2, withBase.exitCode(), withBase.toString());
    assertTrue(withBase.err().contains("--base-model: ") && withBase.err().contains("tensor " + bias + " holds NaN or an infinity (element 2)"),
        withBase.toString());
  }

  @Test
  void aTextWithoutMaskIsAUsageError() {
    CommandRun run = CommandRun.of(new AdapterForge(), "fill-mask", "--text", "no mask here");
    assertEquals(2, run.exitCode(), run.toString());
    assertTrue(run.err().contains("--text: has no mask token"), run.toString());
  }
}
