package dev.adapterforge.ops.adapters;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.adapterforge.ops.checkpoint.Tensor;
import dev.adapterforge.ops.model.ModelArchitecture;
import java.util.Map;

/**
 * A method's hyperparameters: an immutable record whose JSON form (snake_case, as the Python
 * libraries spell them) is the {@code hyperparameters} object of an artifact's {@code
 * adapterforge} block, read back through {@link AdapterMethod#configClass()}.
 */
public interface AdapterConfig {

  AdapterMethod method();

  /**
   * A fresh adapter for an encoder of this architecture, initialised as the method prescribes when
   * DL4J initialises the network's parameters.
   *
   * @throws IllegalArgumentException if the hyperparameters do not fit the architecture
   */
  Adapter create(ModelArchitecture architecture);

  /**
   * The adapter an artifact holds, given the tensors it carries beside the parameters ({@link
   * Adapter#fixedTensors}), by their keys in the weights file. Most methods have none.
   */
  default Adapter restore(ModelArchitecture architecture, Map<String, Tensor> fixedTensors) {
    return create(architecture);
  }

  /** The weights file the method's Python library loads, e.g. {@code adapter_model.safetensors}. */
  String weightsFile();

  /**
   * What the method's Python library reads from {@code adapter_config.json}, whose other keys
   * AdapterForge's own block sits beside.
   */
  ObjectNode pythonConfig(PythonNames names);
}
