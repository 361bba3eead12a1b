package dev.adapterforge.ops.adapters;

import dev.adapterforge.ops.checkpoint.Tensor;
import dev.adapterforge.ops.encoder.HookContext;
import dev.adapterforge.ops.encoder.Projection;
import dev.adapterforge.ops.model.ModelArchitecture;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.UnaryOperator;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * A trained adapter, frozen, under a trainable one: the adapters library's {@code Stack(language,
 * task)}, the reference setup's language adapter under a task adapter. At every hook the lower
 * adapter acts first and the upper one on its result; the invertible adapters' inverses before the
 * output embeddings run in the opposite order. Stacked bottlenecks therefore compute what the
 * library's Stack computes, and stacked sparse differences or LoRA updates add up.
 *
 * <p>Only the upper adapter's tensors are parameters; the lower one's enter the graph as constants
 * from its artifact folder, read once per JVM (keyed by folder and weights checksum), so a Spark
 * executor reads it from storage it can see rather than receiving it from the driver. Saving a stack
 * saves the upper adapter.
 */
public final class AdapterStack implements Adapter {
  private static final long serialVersionUID = 1L;

  /** Prefix of the lower adapter's constants in a graph, apart from the upper one's names. */
  private static final String LOWER_PREFIX = "stacked.";

  private static final ConcurrentMap<String, LoadedAdapter> LOWER_ADAPTERS = new ConcurrentHashMap<>();

  @JsonProperty private String lowerDirectory;
  @JsonProperty private String lowerWeightsSha256;
  @JsonProperty private String baseModelId;
  @JsonProperty private String baseModelSha256;
  @JsonProperty private ModelArchitecture architecture;
  @JsonProperty private Adapter upper;

  /** For JSON deserialization only. */
  private AdapterStack() {}

  /**
   * @param lower the frozen adapter, loaded for the base model the stack runs on
   * @param upper the adapter to train on top of it
   */
  public AdapterStack(LoadedAdapter lower, Adapter upper, ModelArchitecture architecture) {
    this.lowerDirectory = lower.directory().toAbsolutePath().toString();
    this.lowerWeightsSha256 = lower.weightsSha256();
    this.baseModelId = lower.baseModelId();
    this.baseModelSha256 = lower.baseModelSha256();
    this.architecture = architecture;
    this.upper = upper;
    LOWER_ADAPTERS.putIfAbsent(cacheKey(), lower);
  }

  public Adapter upper() {
    return upper;
  }

  /** The frozen adapter, read from its folder on first use in this JVM. */
  public LoadedAdapter lower() {
    return LOWER_ADAPTERS.computeIfAbsent(
        cacheKey(),
        key -> {
          try {
            LoadedAdapter loaded =
                AdapterArtifact.read(Path.of(lowerDirectory), baseModelId, baseModelSha256, architecture);
            if (!loaded.weightsSha256().equals(lowerWeightsSha256)) {
              throw new IllegalStateException(
                  String.format(
                      "the stacked adapter %s changed since the stack was built (weights SHA-256 %s,"
                          + " expected %s)",
                      lowerDirectory, loaded.weightsSha256(), lowerWeightsSha256));
            }
            return loaded;
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
  }

  private String cacheKey() {
    return lowerDirectory + "@" + lowerWeightsSha256;
  }

  /** The lower adapter's view of the graph: its constants, in the data type of {@code value}. */
  private HookContext lowerContext(HookContext context, SDVariable value) {
    return new HookContext(
        context.sameDiff(), lower().constants(context.sameDiff(), LOWER_PREFIX, value.dataType()));
  }

  @Override
  public AdapterConfig config() {
    return upper.config();
  }

  @Override
  public PythonTensor pythonTensor(String parameter, PythonNames names) {
    return upper.pythonTensor(parameter, names);
  }

  @Override
  public List<Tensor> fixedTensors(PythonNames names) {
    return upper.fixedTensors(names);
  }

  @Override
  public void defineParameters(SDLayerParams parameters, ModelArchitecture architecture) {
    upper.defineParameters(parameters, architecture);
  }

  @Override
  public void initializeParameters(Map<String, INDArray> parameters) {
    upper.initializeParameters(parameters);
  }

  @Override
  public SDVariable embeddingOutput(HookContext context, SDVariable embeddings) {
    Adapter lowerAdapter = lower().adapter();
    return upper.embeddingOutput(context, lowerAdapter.embeddingOutput(lowerContext(context, embeddings), embeddings));
  }

  @Override
  public SDVariable projection(
      HookContext context, int layer, Projection projection, SDVariable input, SDVariable output) {
    SDVariable lowered =
        lower().adapter().projection(lowerContext(context, output), layer, projection, input, output);
    return upper.projection(context, layer, projection, input, lowered);
  }

  @Override
  public SDVariable feedForwardOutput(
      HookContext context,
      int layer,
      SDVariable output,
      SDVariable residual,
      UnaryOperator<SDVariable> layerNorm) {
    SDVariable lowered =
        lower().adapter().feedForwardOutput(lowerContext(context, output), layer, output, residual, layerNorm);
    return upper.feedForwardOutput(context, layer, lowered, residual, layerNorm);
  }

  @Override
  public SDVariable beforeOutputEmbeddings(HookContext context, SDVariable transformed) {
    SDVariable upperRestored = upper.beforeOutputEmbeddings(context, transformed);
    return lower().adapter().beforeOutputEmbeddings(lowerContext(context, upperRestored), upperRestored);
  }
}
