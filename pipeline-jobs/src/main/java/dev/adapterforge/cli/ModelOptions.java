package dev.adapterforge.cli;

import dev.adapterforge.job.UsageException;
import dev.adapterforge.ops.adapters.AdapterArtifact;
import dev.adapterforge.ops.adapters.LoadedAdapter;
import dev.adapterforge.ops.encoder.EncoderAdapter;
import dev.adapterforge.ops.encoder.FrozenWeights;
import dev.adapterforge.ops.encoder.FrozenWeightsCache;
import dev.adapterforge.ops.model.BaseModel;
import dev.adapterforge.ops.model.BaseModelResolver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import picocli.CommandLine.Option;

/** {@code --base-model} and {@code --adapter}, for the commands that run the model. */
public final class ModelOptions {
  @Option(
      names = BaseModelResolver.OPTION,
      defaultValue = "mbert",
      paramLabel = "mbert|PATH",
      description = "The base model: 'mbert' or a model folder.")
  String baseModel;

  @Option(
      names = "--adapter",
      paramLabel = "DIR",
      description = "An adapter folder (adapter_config.json + safetensors) to run inside the base model.")
  Path adapter;

  // Memos of what the current option values name: a command object runs again with other values
  // when the pipeline runs it per language.
  private BaseModel resolved;
  private String resolvedFrom;
  private LoadedAdapter loaded;
  private Path loadedFrom;

  /**
   * @throws UsageException if the model cannot be resolved
   */
  public BaseModel baseModel() {
    if (resolved == null || !baseModel.equals(resolvedFrom)) {
      try {
        resolved = BaseModelResolver.fromEnvironment().resolve(baseModel);
        resolvedFrom = baseModel;
      } catch (IOException e) {
        throw new UsageException(BaseModelResolver.OPTION + ": " + e.getMessage(), e);
      }
    }
    return resolved;
  }

  /**
   * The base model's frozen weights, loaded once per JVM: a missing, misshapen or non-finite tensor
   * is found here, on the driver, before any Spark work.
   *
   * @throws UsageException naming the checkpoint file and the tensor
   */
  public FrozenWeights weights() {
    try {
      return FrozenWeightsCache.get(baseModel(), DataType.FLOAT);
    } catch (UncheckedIOException e) {
      throw new UsageException(BaseModelResolver.OPTION + ": " + e.getCause().getMessage(), e);
    }
  }

  /**
   * The adapter, loaded and checked against the base model, or null without --adapter.
   *
   * @throws UsageException if it cannot be loaded or belongs to another base model
   */
  public LoadedAdapter adapter() {
    if (adapter == null) {
      return null;
    }
    if (loaded == null || !adapter.equals(loadedFrom)) {
      try {
        loaded = AdapterArtifact.read(adapter, baseModel());
        loadedFrom = adapter;
      } catch (IOException e) {
        throw new UsageException("--adapter: " + e.getMessage(), e);
      }
    }
    return loaded;
  }

  public EncoderAdapter encoderAdapter() {
    return adapter() == null ? null : adapter().adapter();
  }

  public Map<String, INDArray> adapterParameters() {
    return adapter() == null ? Map.of() : adapter().parameters();
  }
}
