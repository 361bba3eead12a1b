package dev.adapterforge.ops.adapters;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * An adapter read from its artifact folder: the method, its trained parameters (float, by the names
 * it declares), its lineage, the base model it belongs to and its weights file's SHA-256.
 */
public record LoadedAdapter(
    Path directory,
    Adapter adapter,
    Map<String, INDArray> parameters,
    ArtifactLineage lineage,
    String baseModelId,
    String baseModelSha256,
    String weightsSha256) {

  public LoadedAdapter {
    parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
  }

  /**
   * The parameters as constants of an inference graph in its data type, by the names the adapter's
   * hooks ask for, each prefixed with {@code prefix} in the graph so that two adapters of one method
   * can share it. Made once per graph.
   */
  public Map<String, SDVariable> constants(SameDiff sameDiff, String prefix, DataType dataType) {
    Map<String, SDVariable> constants = new LinkedHashMap<>();
    parameters.forEach(
        (name, value) -> {
          String graphName = prefix + name;
          constants.put(
              name,
              sameDiff.hasVariable(graphName)
                  ? sameDiff.getVariable(graphName)
                  : sameDiff.constant(graphName, value.castTo(dataType)));
        });
    return constants;
  }
}
