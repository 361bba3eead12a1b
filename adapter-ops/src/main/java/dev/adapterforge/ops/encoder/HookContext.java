package dev.adapterforge.ops.encoder;

import java.util.Map;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * What an {@link EncoderAdapter}'s hooks build with: the graph the encoder is being defined in and
 * the adapter's own parameters in it, by the names the adapter declared.
 */
public record HookContext(SameDiff sameDiff, Map<String, SDVariable> parameters) {

  public HookContext {
    parameters = Map.copyOf(parameters);
  }

  /**
   * @throws IllegalArgumentException if the adapter declared no parameter of this name
   */
  public SDVariable parameter(String name) {
    SDVariable parameter = parameters.get(name);
    if (parameter == null) {
      throw new IllegalArgumentException(
          "no adapter parameter " + name + "; declared: " + parameters.keySet());
    }
    return parameter;
  }
}
