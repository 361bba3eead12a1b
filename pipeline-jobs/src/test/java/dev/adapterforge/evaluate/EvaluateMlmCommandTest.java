package dev.adapterforge.evaluate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.adapterforge.cli.AdapterForge;
import dev.adapterforge.job.CommandRun;
import dev.adapterforge.job.SparkTestBase;
import dev.adapterforge.ops.adapters.Adapter;
import dev.adapterforge.ops.adapters.AdapterArtifact;
import dev.adapterforge.ops.adapters.ArtifactLineage;
import dev.adapterforge.ops.adapters.bottleneck.BottleneckConfig;
import dev.adapterforge.ops.model.BaseModel;
import dev.adapterforge.ops.model.BaseModelResolver;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** evaluate-mlm on real mBERT and the bundled ConceptNet sample, prepared by the real prep job. */
class EvaluateMlmCommandTest extends SparkTestBase {
  private static Path prepared;

  @BeforeAll
  static void prepareMaltese() throws IOException {
    prepared = testRoot.resolve("prepared");
    CommandRun prep =
        CommandRun.of(
            new AdapterForge(),
            "prep-conceptnet",
            "--input", "../data-prep/samples/conceptnet/assertions.csv",
            "--languages", "mt",
            "--split", "0,0,1",
            "--output", prepared.toString());
    assertEquals(0, prep.exitCode(), prep.toString());
  }

  /** The sample's three Maltese sentences, all in the test split. */
  private static CommandRun evaluate(String language, String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of("evaluate-mlm", "--data", prepared.toString(), "--language", language, "--split", "test"));
    args.addAll(List.of(extra));
    return CommandRun.of(new AdapterForge(), args.toArray(String[]::new));
  }

  @Test
  void reportsLossAndPseudoPerplexityWithAndWithoutAnAdapter() throws IOException {
    Path base = testRoot.resolve("base.json");
    CommandRun run = evaluate("mt", "--output", base.toString());
    assertEquals(0, run.exitCode(), run.toString());
    assertTrue(run.out().lines().anyMatch(line -> line.startsWith("mt ")), run.out());
    JsonNode figures = new ObjectMapper().readTree(base.toFile());
    assertEquals(3, figures.path("sequences").asInt());
    double loss = figures.path("mlm_loss").asDouble();
    double pseudoPerplexity = figures.path("pseudo_perplexity").asDouble();
    assertTrue(loss > 0 && loss < 20, "loss " + loss);
    assertTrue(pseudoPerplexity > 1, "pseudo-perplexity " + pseudoPerplexity);
    assertEquals(3, figures.path("pseudo_perplexity_sequences").asInt());

    Path adapted = testRoot.resolve("adapted.json");
    CommandRun withAdapter =
        evaluate(
            "mt", "--adapter", randomAdapter().toString(), "--output", adapted.toString(),
            "--pseudo-perplexity-sequences", "1");
    assertEquals(0, withAdapter.exitCode(), withAdapter.toString());
    JsonNode adaptedFigures = new ObjectMapper().readTree(adapted.toFile());
    assertNotEquals(loss, adaptedFigures.path("mlm_loss").asDouble());
    assertEquals(1, adaptedFigures.path("pseudo_perplexity_sequences").asInt());
  }

  @Test
  void namesTheLanguagesThereAreAndRefusesWhatIsNotAPrepOutput() {
    CommandRun unknown = evaluate("xx");
    assertEquals(2, unknown.exitCode(), unknown.toString());
    assertTrue(unknown.err().contains("has no language xx; it has mt"), unknown.err());

    CommandRun missing = CommandRun.of(new AdapterForge(), "evaluate-mlm", "--data", testRoot.resolve("none").toString(), "--language", "mt");
    assertEquals(2, missing.exitCode(), missing.toString());
    assertTrue(missing.err().contains("does not exist"), missing.err());
  }

  /** A seq_bn adapter for mBERT with large random weights, saved as training would save it. */
  private static Path randomAdapter() throws IOException {
    BaseModel mbert = BaseModelResolver.fromEnvironment().resolve("mbert");
    Adapter adapter = BottleneckConfig.DEFAULT.create(mbert.architecture());
    SDLayerParams declared = new SDLayerParams();
    adapter.defineParameters(declared, mbert.architecture());
    Map<String, INDArray> parameters = new LinkedHashMap<>();
    declared.getParamShapes().forEach((name, shape) -> parameters.put(name, Nd4j.randn(DataType.FLOAT, shape).muli(0.1)));
    Path folder = testRoot.resolve("mt-seq_bn");
    AdapterArtifact.write(
        folder, adapter, parameters, mbert,
        new ArtifactLineage(null, "mt", null, null, List.of(), null, null, null, Map.of(), null), "mt");
    return folder;
  }
}
