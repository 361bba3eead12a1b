package dev.adapterforge.ops.adapters;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * An adapter read from its artifact folder: the method, its trained parameters (float, by the names
 * it declares) and its lineage.
 */
public record LoadedAdapter(
    Path directory,
    Adapter adapter,
    Map<String, INDArray> parameters,
    ArtifactLineage lineage,
    String baseModelId,
    String baseModelSha256) {

  public LoadedAdapter {
    parameters = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
  }

  /**
   * The parameters as constants of an inference graph, by the names the adapter's hooks ask for,
   * each prefixed with {@code prefix} in the graph so that two adapters of one method can share it.
   */
  public Map<String, SDVariable> constants(SameDiff sameDiff, String prefix) {
    Map<String, SDVariable> constants = new LinkedHashMap<>();
    parameters.forEach(
        (name, value) -> {
          String graphName = prefix + name;
          constants.put(
              name,
              sameDiff.hasVariable(graphName)
                  ? sameDiff.getVariable(graphName)
                  : sameDiff.constant(graphName, value));
        });
    return constants;
  }
}
