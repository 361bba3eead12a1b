package dev.adapterforge.ops.encoder;

import java.nio.FloatBuffer;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.memory.pointers.PagedPointer;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Float arrays of a CPU backend, in place: for code that reads or writes their memory itself. */
final class HostArrays {
  private HostArrays() {}

  /**
   * x's element at {@code index} of its buffer, counted from x's first element: x's offset counts
   * from the start of the whole buffer, which is where {@code address()} points ({@code
   * addressPointer()} is already offset).
   */
  static FloatPointer element(INDArray x, long index) {
    return new PagedPointer(x.data().address()).asFloatPointer().position(x.offset() + index);
  }

  /**
   * A row-major matrix's elements in place, from its first to its last: row r starts at r ·
   * stride(0), so a block of a wider matrix's columns is read where it lies.
   */
  static FloatBuffer rows(INDArray x) {
    FloatPointer first = element(x, 0);
    long extent = x.size(0) == 0 ? 0 : (x.size(0) - 1) * x.stride(0) + x.size(1);
    return first.limit(first.position() + extent).asBuffer();
  }

  /** A dense row-major array's elements, in place. */
  static FloatBuffer elements(INDArray x) {
    FloatPointer first = element(x, 0);
    return first.limit(first.position() + x.length()).asBuffer();
  }
}
