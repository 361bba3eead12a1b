package dev.adapterforge.ops.encoder;

import dev.adapterforge.ops.model.BaseModel;
import dev.adapterforge.ops.model.BaseModelResolver;
import dev.adapterforge.ops.model.ModelArchitecture;
import dev.adapterforge.ops.runtime.BlasChoice;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * One {@link FrozenWeights} per checkpoint, architecture and data type per JVM. A Spark executor
 * loads a base model from its own disk the first time a layer asks for it, so frozen weights never
 * travel through the driver; DL4J rebuilds each worker's network for every data split, and each
 * rebuild finds the weights here. They stay for the JVM's lifetime: size executor memory for them.
 * The architecture is part of the key because a config.json can change how the same tensors compute
 * (hidden_act gelu or gelu_new); two such configs in one JVM hold the tensors twice.
 */
public final class FrozenWeightsCache {

  private record Key(String checkpointSha256, ModelArchitecture architecture, DataType dataType) {}

  private static final ConcurrentMap<Key, FrozenWeights> WEIGHTS = new ConcurrentHashMap<>();

  private FrozenWeightsCache() {}

  /**
   * The weights of a resolved model in this data type, loaded on first request; concurrent first
   * requests wait for one load.
   *
   * @throws UncheckedIOException if the checkpoint cannot be read
   */
  public static FrozenWeights get(BaseModel model, DataType dataType) {
    return WEIGHTS.computeIfAbsent(
        new Key(model.checkpointSha256(), model.architecture(), dataType),
        key -> load(model, dataType));
  }

  /**
   * The weights a layer configuration names: on first request {@code baseModel} (a known id or a
   * model folder) is resolved in this JVM's environment and must have the checksum and architecture
   * the configuration was built with.
   *
   * @throws IllegalStateException if this JVM's copy of the model is a different checkpoint or
   *     config
   * @throws UncheckedIOException if the model cannot be resolved or read
   */
  public static FrozenWeights get(
      String baseModel,
      String checkpointSha256,
      ModelArchitecture architecture,
      DataType dataType) {
    return WEIGHTS.computeIfAbsent(
        new Key(checkpointSha256, architecture, dataType),
        key -> {
          BaseModel model;
          try {
            model = BaseModelResolver.fromEnvironment().resolve(baseModel);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
          if (!model.checkpointSha256().equals(checkpointSha256)) {
            throw new IllegalStateException(
                String.format(
                    "base model %s resolves to %s with checkpoint SHA-256 %s here, but the network"
                        + " was configured with %s; every JVM needs the same weights",
                    baseModel, model.checkpointFile(), model.checkpointSha256(), checkpointSha256));
          }
          if (!model.architecture().equals(architecture)) {
            throw new IllegalStateException(
                String.format(
                    "base model %s has %s in %s here, but the network was configured with %s",
                    baseModel, model.architecture(), model.directory(), architecture));
          }
          return load(model, dataType);
        });
  }

  private static FrozenWeights load(BaseModel model, DataType dataType) {
    BlasChoice.requireCorrectGemm(); // where every JVM's ND4J work starts: the driver's and each executor's
    try {
      return FrozenWeights.load(model, dataType);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
