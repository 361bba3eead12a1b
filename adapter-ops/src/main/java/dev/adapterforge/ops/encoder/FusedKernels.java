package dev.adapterforge.ops.encoder;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When the tape's element-wise and row-wise operations run as {@link VectorKernels}, one pass over
 * host memory each, instead of ND4J's composed ops (a pass and a fresh zeroed buffer per elementary
 * op). They need the JDK's Vector API, an incubator module in Java 17 that a JVM resolves only
 * when started with {@code --add-modules jdk.incubator.vector} (bin/java17.args and the executors'
 * default options carry it), and arrays in host memory (a CPU backend). Without either, or with
 * {@code -Dadapterforge.fusedKernels=false}, the tape composes ND4J ops, as SameDiff does.
 *
 * <p>This class never touches the Vector API itself, so it loads everywhere.
 */
public final class FusedKernels {
  private static final Logger LOG = LoggerFactory.getLogger(FusedKernels.class);
  static final String VECTOR_MODULE = "jdk.incubator.vector";
  private static final String SWITCH = "adapterforge.fusedKernels";
  private static final boolean ENABLED = enabled();

  private FusedKernels() {}

  private static boolean enabled() {
    if (!Boolean.parseBoolean(System.getProperty(SWITCH, "true"))) {
      LOG.info("Fused kernels off (-D{}=false): element-wise operations run as composed ND4J ops", SWITCH);
      return false;
    }
    if (ModuleLayer.boot().findModule(VECTOR_MODULE).isEmpty()) {
      LOG.warn(
          "Fused kernels off: this JVM was started without --add-modules {}; element-wise operations run as"
              + " composed ND4J ops, several times slower (docs/PERFORMANCE.md)",
          VECTOR_MODULE);
      return false;
    }
    return Nd4j.getEnvironment().isCPU();
  }

  /** Whether this JVM runs the fused kernels (for arrays they take): the module, a CPU backend, not switched off. */
  public static boolean active() {
    return ENABLED;
  }

  /** Whether the kernels run for these arrays: float, dense row-major, within a Java array's reach. */
  static boolean applyTo(INDArray... arrays) {
    if (!ENABLED) {
      return false;
    }
    for (INDArray x : arrays) {
      if (x.dataType() != DataType.FLOAT
          || x.length() > Integer.MAX_VALUE / Float.BYTES
          || !Arrays.equals(x.stride(), Nd4j.getStrides(x.shape(), 'c'))) {
        return false;
      }
    }
    return true;
  }
}
