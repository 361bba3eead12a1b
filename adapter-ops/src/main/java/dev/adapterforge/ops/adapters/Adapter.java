package dev.adapterforge.ops.adapters;

import dev.adapterforge.ops.checkpoint.Tensor;
import dev.adapterforge.ops.encoder.EncoderAdapter;
import java.util.List;

/** An adapter method attached to the encoder, with what its artifact needs to be saved. */
public interface Adapter extends EncoderAdapter {

  AdapterConfig config();

  /** Where a parameter this adapter declared is saved in the Python library's weights file. */
  PythonTensor pythonTensor(String parameter, PythonNames names);

  /**
   * Tensors the artifact carries that are not trained parameters but are needed to rebuild the
   * adapter, handed back to {@link AdapterConfig#restore}; none by default.
   */
  default List<Tensor> fixedTensors(PythonNames names) {
    return List.of();
  }
}
