package dev.adapterforge.ops.adapters.sparse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adapterforge.ops.adapters.AdapterArtifact;
import dev.adapterforge.ops.encoder.EncoderGraphs;
import dev.adapterforge.ops.adapters.AdapterStack;
import dev.adapterforge.ops.adapters.ArtifactLineage;
import dev.adapterforge.ops.adapters.LoadedAdapter;
import dev.adapterforge.ops.checkpoint.SafetensorsCheckpoint;
import dev.adapterforge.ops.checkpoint.Tensor;
import dev.adapterforge.ops.encoder.EncoderLayer;
import dev.adapterforge.ops.encoder.FrozenWeights;
import dev.adapterforge.ops.encoder.FrozenWeightsCache;
import dev.adapterforge.ops.encoder.GradientChecks;
import dev.adapterforge.ops.encoder.MaskedLmGraph;
import dev.adapterforge.ops.encoder.PaddedBatch;
import dev.adapterforge.ops.encoder.Projection;
import dev.adapterforge.ops.encoder.TinyModel;
import dev.adapterforge.ops.model.BaseModel;
import dev.adapterforge.ops.model.HiddenActivation;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class SparseFineTuningTest {
  private static final SparseConfig TINY = SparseConfig.DEFAULT.withParameterCount(40);
  private static final ArtifactLineage LINEAGE =
      new ArtifactLineage(null, "mt", null, null, List.of(), null, null, null, Map.of(), null);

  @TempDir static Path dir;
  private static BaseModel model;

  @BeforeAll
  static void tinyModel() throws IOException {
    model = GradientChecks.tinyModel(dir.resolve("models"), HiddenActivation.GELU_ERF);
  }

  /** Phase 1 trained to random dense differences. */
  private static Map<String, INDArray> phase1(long seed) {
    ComputationGraph graph = EncoderGraphs.mlmLogits(model, TINY.create(TinyModel.BERT));
    Nd4j.getRandom().setSeed(seed);
    graph.params().assign(Nd4j.randn(DataType.FLOAT, graph.params().shape()).muli(0.1));
    return graph.getLayer("encoder").paramTable();
  }

  /** Phase 2 on the mask of phase1(seed), its values random as after training. */
  private static ComputationGraph phase2(long seed) {
    SparseAdapter adapter = SparseAdapter.onMask(TINY, TinyModel.BERT, SparseDifference.select(phase1(seed), 40));
    ComputationGraph graph = EncoderGraphs.mlmLogits(model, adapter);
    graph.params().assign(Nd4j.randn(DataType.FLOAT, graph.params().shape()).muli(0.5));
    return graph;
  }

  @Test
  void bothPhasesPassGradientChecks() {
    assertTrue(GradientChecks.passes(model, TINY.withTargets(List.of("query", "output.dense")).create(TinyModel.BERT)));
    assertTrue(GradientChecks.passes(model, SparseAdapter.onMask(TINY, TinyModel.BERT, SparseDifference.select(phase1(3), 40))));
  }

  @Test
  void theMaskKeepsExactlyTheLargestChangesTiesInOrder() {
    Map<String, INDArray> dense = new LinkedHashMap<>();
    String first = new TunedWeight(0, Projection.QUERY).parameter(DenseDifferenceAdapter.DELTA);
    String second = new TunedWeight(1, Projection.VALUE).parameter(DenseDifferenceAdapter.DELTA);
    dense.put(first, Nd4j.createFromArray(new float[][] {{0.1f, -0.9f}, {0.5f, 0.5f}}));
    dense.put(second, Nd4j.createFromArray(new float[][] {{0.5f, 0.2f}, {-0.7f, 0.0f}}));

    SparseDifference mask = SparseDifference.select(dense, 4);

    assertEquals(4, mask.size());
    // -0.9 and -0.7 beat the three 0.5s, of which the first two in order are kept
    assertArrayEquals(new int[] {1, 2, 3}, mask.entries().get(new TunedWeight(0, Projection.QUERY)).indices());
    assertArrayEquals(new int[] {2}, mask.entries().get(new TunedWeight(1, Projection.VALUE)).indices());
    assertArrayEquals(new float[] {-0.9f, 0.5f, 0.5f}, mask.entries().get(new TunedWeight(0, Projection.QUERY)).values());
    assertThrows(IllegalArgumentException.class, () -> SparseDifference.select(dense, 9));
  }

  @Test
  void phaseTwoTrainsTheMasksValuesAlone() {
    SparseDifference mask = SparseDifference.select(phase1(5), 40);
    ComputationGraph graph = EncoderGraphs.mlmLogits(model, SparseAdapter.onMask(TINY, TinyModel.BERT, mask));
    assertEquals(40, graph.numParams());
    assertEquals(0, graph.params().amaxNumber().doubleValue(), "phase 2 starts from the base weights");
  }

  @Test
  void theAdapterComputesWhatTheDifferenceAddedToTheWeightsComputes() {
    ComputationGraph graph = phase2(7);
    SparseAdapter adapter = (SparseAdapter) ((EncoderLayer) graph.getLayer("encoder").conf().getLayer()).adapter();
    FrozenWeights base = FrozenWeightsCache.get(model, DataType.FLOAT);
    SparseDifference difference = adapter.difference(graph.getLayer("encoder").paramTable());

    assertClose(
        new MaskedLmGraph(base, adapter, graph.getLayer("encoder").paramTable()),
        new MaskedLmGraph(difference.applyTo(base), null, Map.of()));
  }

  @Test
  void savesIndicesAndValuesInTorchLayoutAndRoundTrips() throws IOException {
    ComputationGraph graph = phase2(11);
    SparseAdapter adapter = (SparseAdapter) ((EncoderLayer) graph.getLayer("encoder").conf().getLayer()).adapter();
    Map<String, INDArray> parameters = graph.getLayer("encoder").paramTable();
    Path folder = dir.resolve("mt-lt_sft");
    AdapterArtifact.write(folder, adapter, parameters, model, LINEAGE, "mt");

    SparseDifference difference = adapter.difference(parameters);
    try (SafetensorsCheckpoint weights = SafetensorsCheckpoint.open(folder.resolve("adapter.safetensors"))) {
      // a torch-layout index applied to the transposed weight hits the same entry
      for (var entry : difference.entries().entrySet()) {
        String name = entry.getKey().huggingFaceName("bert");
        Tensor indices = weights.tensor(name + ".sft_indices");
        long[] torch = indices.toLongs();
        float[] values = weights.tensor(name + ".sft_values").toFloats();
        assertArrayEquals(entry.getValue().values(), values);
        long columns = entry.getKey().columns(TinyModel.BERT);
        long rows = entry.getKey().rows(TinyModel.BERT);
        for (int i = 0; i < torch.length; i++) {
          int ours = entry.getValue().indices()[i];
          assertEquals((ours % columns) * rows + ours / columns, torch[i]);
        }
      }
    }
    LoadedAdapter loaded = AdapterArtifact.read(folder, model);
    EncoderGraphs.assertRestoresExactly(graph, loaded, model);
  }

  /** A language difference, saved and frozen, under a task difference: the weights get both. */
  @Test
  void differencesComposeByAddition() throws IOException {
    ComputationGraph language = phase2(13);
    SparseAdapter languageAdapter = (SparseAdapter) ((EncoderLayer) language.getLayer("encoder").conf().getLayer()).adapter();
    Path folder = dir.resolve("lang-lt_sft");
    AdapterArtifact.write(folder, languageAdapter, language.getLayer("encoder").paramTable(), model, LINEAGE, "lang");
    LoadedAdapter frozen = AdapterArtifact.read(folder, model);

    ComputationGraph task = phase2(17);
    SparseAdapter taskAdapter = (SparseAdapter) ((EncoderLayer) task.getLayer("encoder").conf().getLayer()).adapter();
    Map<String, INDArray> taskValues = task.getLayer("encoder").paramTable();
    AdapterStack stack = new AdapterStack(frozen, taskAdapter, TinyModel.BERT);

    SparseDifference sum =
        languageAdapter.difference(language.getLayer("encoder").paramTable()).add(taskAdapter.difference(taskValues));
    FrozenWeights base = FrozenWeightsCache.get(model, DataType.FLOAT);
    assertClose(new MaskedLmGraph(base, stack, taskValues), new MaskedLmGraph(sum.applyTo(base), null, Map.of()));
  }

  private static void assertClose(MaskedLmGraph adapted, MaskedLmGraph applied) {
    PaddedBatch batch = PaddedBatch.of(List.of(TinyModel.randomIds(new Random(2), 3, 7)), 0, 16);
    int[] rows = IntStream.range(0, batch.size() * batch.length()).toArray();
    INDArray expected = applied.logProbabilities(batch, rows);
    assertEquals(0, adapted.logProbabilities(batch, rows).sub(expected).amaxNumber().doubleValue(), 1e-4);
  }
}
