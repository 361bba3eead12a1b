package dev.adapterforge.ops.encoder;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The tape's element-wise and row-wise operations fused into one pass each, in the JDK's Vector API
 * (16 float lanes with AVX-512): GELU with its derivative, LayerNorm and its backward, softmax (with
 * the loss's bias added first) and its backward. Only code that {@link FusedKernels#applyTo}
 * admitted calls these: dense row-major float arrays in host memory.
 *
 * <p>Each worker copies a block or a row into a Java array, computes there and copies the results
 * out: the copies run at memcpy speed in cache, and the arithmetic works on arrays, which the Vector
 * API's loads and stores handle best. Work is split over as many threads as the BLAS has.
 *
 * <p>Reductions sum in float lanes, as libnd4j does; results agree with the same formulas computed
 * in double to float rounding (VectorKernelsTest).
 */
final class VectorKernels {
  private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = FLOATS.length();
  /** Element-wise kernels' block, in floats: three arrays of it stay in a core's L1 and L2. */
  private static final int BLOCK = 4096;
  /** Below this many elements a call runs on its caller: forking costs more than it saves. */
  private static final int SERIAL_ELEMENTS = 1 << 15;

  private static final float INV_SQRT_2 = (float) (1 / Math.sqrt(2));
  private static final float INV_SQRT_2PI = (float) (1 / Math.sqrt(2 * Math.PI));

  private VectorKernels() {}

  /** A worker's share: items [from, to). */
  @FunctionalInterface
  private interface Share {
    void run(int from, int to);
  }

  /** Splits items [0, count) into contiguous shares, one per thread. */
  private static void split(int count, long elementsPerItem, Share share) {
    int threads = Nd4j.factory().blas().getMaxThreads();
    int workers = (int) Math.max(1, Math.min(threads, count * elementsPerItem / SERIAL_ELEMENTS));
    if (workers == 1) {
      share.run(0, count);
      return;
    }
    int perWorker = (count + workers - 1) / workers;
    IntStream.range(0, workers)
        .parallel()
        .forEach(w -> share.run(Math.min(count, w * perWorker), Math.min(count, (w + 1) * perWorker)));
  }

  private static int padded(int width) {
    return (width + LANES - 1) / LANES * LANES;
  }

  /**
   * GELU with the exact Gaussian CDF: value = x·Φ(x) and, if {@code derivative} is not null, its
   * derivative Φ(x) + x·φ(x), both written to arrays of x's shape.
   */
  static void gelu(INDArray x, INDArray value, INDArray derivative) {
    FloatBuffer in = HostArrays.elements(x);
    FloatBuffer out = HostArrays.elements(value);
    FloatBuffer slope = derivative == null ? null : HostArrays.elements(derivative);
    int length = (int) x.length();
    int blocks = (length + BLOCK - 1) / BLOCK;
    split(blocks, BLOCK, (first, end) -> {
      float[] a = new float[BLOCK];
      float[] v = new float[BLOCK];
      float[] d = new float[BLOCK];
      for (int block = first; block < end; block++) {
        int from = block * BLOCK;
        int size = Math.min(BLOCK, length - from);
        in.get(from, a, 0, size);
        // a block's tail lanes hold stale inputs: harmless, as only [0, size) is copied out
        for (int i = 0; i < size; i += LANES) {
          FloatVector z = FloatVector.fromArray(FLOATS, a, i);
          FloatVector cdf = erf(z.mul(INV_SQRT_2)).add(1f).mul(0.5f);
          z.mul(cdf).intoArray(v, i);
          if (slope != null) {
            FloatVector density = z.mul(z).mul(-0.5f).lanewise(VectorOperators.EXP).mul(INV_SQRT_2PI);
            density.fma(z, cdf).intoArray(d, i);
          }
        }
        out.put(from, v, 0, size);
        if (slope != null) {
          slope.put(from, d, 0, size);
        }
      }
    });
  }

  /**
   * erf(x) in float precision without exp: Eigen's (and XLA's) rational approximation on [-4, 4],
   * ±1 beyond, within a few ulp.
   */
  private static FloatVector erf(FloatVector x) {
    FloatVector t = x.max(-4f).min(4f);
    FloatVector t2 = t.mul(t);
    FloatVector p = t2.fma(-2.72614225801306e-10f, 2.77068142495902e-08f);
    p = p.fma(t2, FloatVector.broadcast(FLOATS, -2.10102402082508e-06f));
    p = p.fma(t2, FloatVector.broadcast(FLOATS, -5.69250639462346e-05f));
    p = p.fma(t2, FloatVector.broadcast(FLOATS, -7.34990630326855e-04f));
    p = p.fma(t2, FloatVector.broadcast(FLOATS, -2.95459980854025e-03f));
    p = p.fma(t2, FloatVector.broadcast(FLOATS, -1.60960333262415e-02f)).mul(t);
    FloatVector q = t2.fma(-1.45660718464996e-05f, -2.13374055278905e-04f);
    q = q.fma(t2, FloatVector.broadcast(FLOATS, -1.68282697438203e-03f));
    q = q.fma(t2, FloatVector.broadcast(FLOATS, -7.37332916720468e-03f));
    q = q.fma(t2, FloatVector.broadcast(FLOATS, -1.42647390514189e-02f));
    return p.div(q);
  }

  /** A row-major [rows, width] array's rows: row r's elements start at r · stride. */
  private record Rows(FloatBuffer elements, int rows, int width, int stride, int index) {
    static Rows of(INDArray x) {
      return of(x, 0);
    }

    /** @param index where the array is in a {@link RowSets} */
    static Rows of(INDArray x, int index) {
      return new Rows(HostArrays.rows(x), (int) x.size(0), (int) x.size(1), (int) x.stride(0), index);
    }

    void read(int row, float[] into) {
      elements.get(row * stride, into, 0, width);
    }

    void write(int row, float[] from) {
      elements.put(row * stride, from, 0, width);
    }
  }

  /** The rows of several arrays, numbered one after another. */
  private record RowSets(Rows[] sets, int[] firstRows) {
    static RowSets of(List<INDArray> arrays) {
      Rows[] sets = new Rows[arrays.size()];
      int[] firstRows = new int[sets.length + 1];
      for (int i = 0; i < sets.length; i++) {
        sets[i] = Rows.of(arrays.get(i), i);
        firstRows[i + 1] = firstRows[i] + sets[i].rows();
      }
      return new RowSets(sets, firstRows);
    }

    int count() {
      return firstRows[sets.length];
    }

    int maxWidth() {
      return Arrays.stream(sets).mapToInt(Rows::width).max().orElse(0);
    }

    long meanWidth() {
      return Arrays.stream(sets).mapToLong(set -> (long) set.rows() * set.width()).sum() / Math.max(1, count());
    }

    /** Calls {@code action} with each of rows [first, end): its array's rows and its row there. */
    void forEach(int first, int end, RowAction action) {
      int set = Arrays.binarySearch(firstRows, first);
      set = set >= 0 ? set : -set - 2;
      for (int row = first; row < end; row++) {
        while (row >= firstRows[set + 1]) {
          set++;
        }
        action.run(sets[set], row - firstRows[set]);
      }
    }
  }

  @FunctionalInterface
  private interface RowAction {
    void run(Rows set, int row);
  }

  /** A [width] vector as a Java array padded with zeros to whole vectors. */
  static float[] paddedCopy(INDArray vector) {
    float[] copy = new float[padded((int) vector.length())];
    HostArrays.elements(vector).get(0, copy, 0, (int) vector.length());
    return copy;
  }

  /**
   * LayerNorm of each row of x + residual (x alone if {@code residual} is null), [rows, width], with
   * the biased variance: normalised = (x − mean)/σ, value = normalised·gain + bias, and 1/σ per row
   * in {@code inverseDeviation}, [rows, 1]. The sum is formed row by row in cache, never stored.
   */
  static void layerNorm(
      INDArray x, INDArray residual, INDArray gain, INDArray bias, double epsilon, INDArray value,
      INDArray normalised, INDArray inverseDeviation) {
    Rows in = Rows.of(x);
    Rows residuals = residual == null ? null : Rows.of(residual);
    Rows values = Rows.of(value);
    Rows normalisedRows = Rows.of(normalised);
    FloatBuffer deviations = HostArrays.elements(inverseDeviation);
    float[] gains = paddedCopy(gain);
    float[] biases = paddedCopy(bias);
    int width = in.width();
    split(in.rows(), width, (first, end) -> {
      // inputs' padding stays zero: only [0, width) is ever copied in
      float[] a = new float[padded(width)];
      float[] n = new float[a.length];
      float[] v = new float[a.length];
      float[] r = residuals == null ? null : new float[a.length];
      for (int row = first; row < end; row++) {
        in.read(row, a);
        if (residuals != null) {
          residuals.read(row, r);
          for (int i = 0; i < width; i += LANES) {
            FloatVector.fromArray(FLOATS, a, i).add(FloatVector.fromArray(FLOATS, r, i)).intoArray(a, i);
          }
        }
        float mean = sum(a, width) / width;
        FloatVector squares = FloatVector.zero(FLOATS);
        for (int i = 0; i < width; i += LANES) {
          FloatVector centred = FloatVector.fromArray(FLOATS, a, i).sub(mean);
          squares = squares.add(centred.mul(centred), FLOATS.indexInRange(i, width));
        }
        float inverse = (float) (1 / Math.sqrt(squares.reduceLanes(VectorOperators.ADD) / width + epsilon));
        for (int i = 0; i < width; i += LANES) {
          FloatVector centred = FloatVector.fromArray(FLOATS, a, i).sub(mean).mul(inverse);
          centred.intoArray(n, i);
          centred.fma(FloatVector.fromArray(FLOATS, gains, i), FloatVector.fromArray(FLOATS, biases, i))
              .intoArray(v, i);
        }
        normalisedRows.write(row, n);
        values.write(row, v);
        deviations.put(row, inverse);
      }
    });
  }

  /**
   * LayerNorm's input gradient, in place of the output's {@code gradient}: per row, with s = g·gain,
   * dx = (s − mean(s) − normalised·mean(s·normalised))/σ.
   */
  static void layerNormBackward(INDArray gradient, INDArray gain, INDArray normalised, INDArray inverseDeviation) {
    Rows g = Rows.of(gradient);
    Rows normalisedRows = Rows.of(normalised);
    FloatBuffer deviations = HostArrays.elements(inverseDeviation);
    float[] gains = paddedCopy(gain);
    int width = g.width();
    split(g.rows(), width, (first, end) -> {
      float[] s = new float[padded(width)];
      float[] n = new float[s.length];
      float[] dx = new float[s.length];
      for (int row = first; row < end; row++) {
        g.read(row, s);
        normalisedRows.read(row, n);
        FloatVector sums = FloatVector.zero(FLOATS);
        FloatVector projections = FloatVector.zero(FLOATS);
        for (int i = 0; i < width; i += LANES) {
          // zero padding in both inputs adds nothing
          FloatVector scaled = FloatVector.fromArray(FLOATS, s, i).mul(FloatVector.fromArray(FLOATS, gains, i));
          sums = sums.add(scaled);
          projections = scaled.fma(FloatVector.fromArray(FLOATS, n, i), projections);
        }
        float mean = sums.reduceLanes(VectorOperators.ADD) / width;
        float projection = projections.reduceLanes(VectorOperators.ADD) / width;
        float inverse = deviations.get(row);
        for (int i = 0; i < width; i += LANES) {
          FloatVector scaled = FloatVector.fromArray(FLOATS, s, i).mul(FloatVector.fromArray(FLOATS, gains, i));
          FloatVector.fromArray(FLOATS, n, i).mul(-projection).add(scaled).sub(mean).mul(inverse).intoArray(dx, i);
        }
        g.write(row, dx);
      }
    });
  }

  /** Σ a[0, length) of an array whose padding beyond length is zero. */
  private static float sum(float[] a, int length) {
    FloatVector sums = FloatVector.zero(FLOATS);
    for (int i = 0; i < length; i += LANES) {
      sums = sums.add(FloatVector.fromArray(FLOATS, a, i));
    }
    return sums.reduceLanes(VectorOperators.ADD);
  }

  /** The softmax of each row of a [rows, width] array plus {@code bias} ([width], or null), in place. */
  static void softmax(INDArray x, INDArray bias) {
    softmax(List.of(x), bias);
  }

  /**
   * The softmax of each row of several row-major arrays (widths may differ) plus {@code bias}
   * (null, or [width] when they share it), in place, all in one split: attention's sequences are
   * many small arrays, and a fork per array cost as much as the arithmetic.
   */
  static void softmax(List<INDArray> arrays, INDArray bias) {
    RowSets rows = RowSets.of(arrays);
    float[] biases = bias == null ? null : paddedCopy(bias);
    split(rows.count(), rows.meanWidth(), (first, end) -> {
      float[] a = new float[padded(rows.maxWidth())];
      float[] e = new float[a.length];
      rows.forEach(first, end, (set, row) -> {
        int width = set.width();
        set.read(row, a);
        if (biases != null) {
          // both paddings are zero, so a's stays zero
          for (int i = 0; i < width; i += LANES) {
            FloatVector.fromArray(FLOATS, a, i).add(FloatVector.fromArray(FLOATS, biases, i)).intoArray(a, i);
          }
        }
        FloatVector maxima = FloatVector.broadcast(FLOATS, Float.NEGATIVE_INFINITY);
        for (int i = 0; i < width; i += LANES) {
          maxima = maxima.lanewise(
              VectorOperators.MAX, FloatVector.fromArray(FLOATS, a, i), FLOATS.indexInRange(i, width));
        }
        float max = maxima.reduceLanes(VectorOperators.MAX);
        FloatVector sums = FloatVector.zero(FLOATS);
        for (int i = 0; i < width; i += LANES) {
          FloatVector exp = FloatVector.fromArray(FLOATS, a, i).sub(max).lanewise(VectorOperators.EXP);
          exp.intoArray(e, i);
          sums = sums.add(exp, FLOATS.indexInRange(i, width));
        }
        float inverseSum = 1 / sums.reduceLanes(VectorOperators.ADD);
        for (int i = 0; i < width; i += LANES) {
          FloatVector.fromArray(FLOATS, e, i).mul(inverseSum).intoArray(e, i);
        }
        set.write(row, e);
      });
    });
  }

  /**
   * Softmax's input gradient, in place of the probabilities' gradients, {@code gradients[i]} for
   * {@code probabilities[i]}: per row, dS = P ⊙ (dP − Σ dP ⊙ P). One split for all, as {@link
   * #softmax(List, INDArray)}.
   */
  static void softmaxBackward(List<INDArray> gradients, List<INDArray> probabilities) {
    RowSets g = RowSets.of(gradients);
    RowSets p = RowSets.of(probabilities);
    split(g.count(), g.meanWidth(), (first, end) -> {
      float[] dp = new float[padded(g.maxWidth())];
      float[] pr = new float[dp.length];
      g.forEach(first, end, (set, row) -> {
        int width = set.width();
        set.read(row, dp);
        p.sets()[set.index()].read(row, pr);
        FloatVector products = FloatVector.zero(FLOATS);
        for (int i = 0; i < width; i += LANES) {
          // lanes beyond width hold a wider row's values
          products = products.add(
              FloatVector.fromArray(FLOATS, dp, i).mul(FloatVector.fromArray(FLOATS, pr, i)),
              FLOATS.indexInRange(i, width));
        }
        float dot = products.reduceLanes(VectorOperators.ADD);
        for (int i = 0; i < width; i += LANES) {
          FloatVector.fromArray(FLOATS, dp, i).sub(dot).mul(FloatVector.fromArray(FLOATS, pr, i)).intoArray(dp, i);
        }
        set.write(row, dp);
      });
    });
  }

  /**
   * One vocabulary block of {@link VocabularySoftmax}'s online softmax, row by row, in place of the
   * block's [rows, width] logits: adds the bias ({@code biases} from {@code biasOffset}, a multiple
   * of the vector length), raises the row's running maximum to the block's, leaves exp(logit −
   * maximum), adds those to the row's running sum, and scales the sum and the row of {@code
   * accumulated} (null: nothing accumulated yet) by exp(previous maximum − maximum).
   */
  static void onlineSoftmax(
      INDArray logits, float[] biases, int biasOffset, double[] maxima, double[] sums, INDArray accumulated) {
    Rows rows = Rows.of(logits);
    Rows accumulatedRows = accumulated == null ? null : Rows.of(accumulated);
    int width = rows.width();
    split(rows.rows(), width, (first, end) -> {
      float[] a = new float[padded(width)];
      float[] h = accumulatedRows == null ? null : new float[padded(accumulatedRows.width())];
      for (int row = first; row < end; row++) {
        rows.read(row, a);
        FloatVector maxLanes = FloatVector.broadcast(FLOATS, Float.NEGATIVE_INFINITY);
        for (int i = 0; i < width; i += LANES) {
          FloatVector logit = FloatVector.fromArray(FLOATS, a, i).add(FloatVector.fromArray(FLOATS, biases, biasOffset + i));
          logit.intoArray(a, i);
          maxLanes = maxLanes.lanewise(VectorOperators.MAX, logit, FLOATS.indexInRange(i, width));
        }
        double previous = maxima[row];
        float maximum = (float) Math.max(previous, maxLanes.reduceLanes(VectorOperators.MAX));
        FloatVector sumLanes = FloatVector.zero(FLOATS);
        for (int i = 0; i < width; i += LANES) {
          FloatVector exp = FloatVector.fromArray(FLOATS, a, i).sub(maximum).lanewise(VectorOperators.EXP);
          exp.intoArray(a, i);
          sumLanes = sumLanes.add(exp, FLOATS.indexInRange(i, width));
        }
        rows.write(row, a);
        // 0 on a row's first block, where previous is −∞
        double scale = Math.exp(previous - maximum);
        sums[row] = sums[row] * scale + sumLanes.reduceLanes(VectorOperators.ADD);
        maxima[row] = maximum;
        if (accumulatedRows != null && scale != 1) {
          accumulatedRows.read(row, h);
          for (int i = 0; i < h.length; i += LANES) {
            FloatVector.fromArray(FLOATS, h, i).mul((float) scale).intoArray(h, i);
          }
          accumulatedRows.write(row, h);
        }
      }
    });
  }
}
