package dev.adapterforge.ops.adapters;

/**
 * Where an adapter parameter lives in its Python library's weights file, and how it is laid out
 * there.
 *
 * @param key the tensor's name there
 */
public record PythonTensor(String key, Layout layout) {

  /** How a parameter's array becomes the stored tensor. */
  public enum Layout {
    AS_IS,
    /**
     * A weight used as {@code x · W}, W [in, out], stored as a torch Linear weight, [out, in].
     */
    TRANSPOSED,
    /** A bias declared [1, n], stored as torch keeps it, [n]. */
    VECTOR
  }

  public static PythonTensor linearWeight(String key) {
    return new PythonTensor(key, Layout.TRANSPOSED);
  }

  public static PythonTensor bias(String key) {
    return new PythonTensor(key, Layout.VECTOR);
  }
}
