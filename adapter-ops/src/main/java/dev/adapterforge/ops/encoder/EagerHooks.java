package dev.adapterforge.ops.encoder;

import dev.adapterforge.ops.encoder.Tape.Var;
import java.util.Map;

/**
 * What an {@link EagerAdapter}'s hooks compute with: the tape and the adapter's parameters on it,
 * by the names the adapter declared.
 */
public record EagerHooks(Tape tape, Map<String, Var> parameters) {

  public EagerHooks {
    parameters = Map.copyOf(parameters);
  }

  /**
   * @throws IllegalArgumentException if the adapter declared no parameter of this name
   */
  public Var parameter(String name) {
    Var parameter = parameters.get(name);
    if (parameter == null) {
      throw new IllegalArgumentException(
          "no adapter parameter " + name + "; declared: " + parameters.keySet());
    }
    return parameter;
  }
}
