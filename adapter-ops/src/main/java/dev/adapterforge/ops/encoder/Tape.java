package dev.adapterforge.ops.encoder;

import dev.adapterforge.ops.encoder.BatchedGemm.Product;
import dev.adapterforge.ops.model.HiddenActivation;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.floating.SquaredNorm;
import org.nd4j.linalg.api.ops.impl.reduce3.Dot;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Erf;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Reverse-mode differentiation over eagerly computed ND4J arrays, the encoder's training runtime
 * ({@link EagerEncoder}): each operation computes its value at once and, when a trainable tensor
 * lies below it, records how to pass a gradient back. Frozen tensors enter as constants, so no
 * gradient is ever computed for the base model's weights, and none flows below the lowest adapter.
 *
 * <p>Values are [rows, columns] matrices, rows being tokens. Values are never written to after
 * they are made, so operations may share them.
 *
 * <p>Memory is freed as soon as nothing needs it, not when the garbage collector gets to it: the
 * tape works outside ND4J workspaces and closes every array it made once the forward pass has
 * {@link #release released} it and every backward step that reads it has run. A step keeps only
 * what its backward reads (a frozen dense layer, for one, keeps nothing), so the training peak is
 * the frozen weights plus those saved arrays, not every intermediate of the pass. The arrays it
 * makes for its results take their memory from an {@link ArrayPool}, which reuses it across steps.
 */
public final class Tape implements AutoCloseable {
  private static final double SQRT_2 = Math.sqrt(2);
  private static final double INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
  private static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
  private static final double GELU_TANH_CUBIC = 0.044715;
  private static final Var[] NOTHING_READ = {};

  /** A value on the tape and, once backward reaches it, the loss's gradient with respect to it. */
  public static final class Var {
    private INDArray value;
    private final long[] shape;
    private final DataType dataType;
    private final boolean needsGradient;
    /** Made by the tape, which frees it; constants and parameters belong to the caller. */
    private final boolean owned;
    private INDArray gradient;
    private Backward backward;
    private Var[] reads = NOTHING_READ;
    private INDArray[] saved;
    /** Recorded steps, not yet run backward, that read this value. */
    private int readers;
    private boolean released;

    private Var(INDArray value, boolean needsGradient, boolean owned) {
      this.value = value;
      this.shape = value.shape();
      this.dataType = value.dataType();
      this.needsGradient = needsGradient;
      this.owned = owned;
    }

    /**
     * @throws IllegalStateException once the tape has freed it
     */
    public INDArray value() {
      if (value == null) {
        throw new IllegalStateException("the tape has released this value");
      }
      return value;
    }

    /** Whether a trainable tensor lies below: only then is a gradient passed back here. */
    public boolean needsGradient() {
      return needsGradient;
    }

    /** After {@link Tape#backward}, a parameter's gradient: null if the loss does not depend on it. */
    public INDArray gradient() {
      return gradient;
    }
  }

  /**
   * A recorded step's backward: adds to its inputs' gradients, given its output's, which it owns:
   * it frees it or hands it on as an input's gradient (saving a copy).
   */
  @FunctionalInterface
  private interface Backward {
    void run(INDArray gradient);
  }

  private final List<Var> recorded = new ArrayList<>();
  private final List<Var> owned = new ArrayList<>();
  private final List<Var> parameters = new ArrayList<>();
  private final boolean recording;
  private final ArrayPool arrays;

  /**
   * @param recording whether to record backward steps: false for inference, where parameters are
   *     constants too
   * @param arrays where the tape's arrays take their memory from and give it back to
   */
  Tape(boolean recording, ArrayPool arrays) {
    this.recording = recording;
    this.arrays = arrays;
  }

  /** A value no gradient is wanted for and the caller keeps: a frozen weight. */
  public Var constant(INDArray value) {
    return new Var(value, false, false);
  }

  /** A value no gradient is wanted for that the tape frees once released: an input. */
  public Var input(INDArray value) {
    Var input = new Var(value, false, true);
    owned.add(input);
    return input;
  }

  /** A trainable tensor, whose {@link Var#gradient} backward sets. Without recording, a constant. */
  public Var parameter(INDArray value) {
    Var parameter = new Var(value, recording, false);
    parameters.add(parameter);
    return parameter;
  }

  /**
   * @param reads the inputs whose values {@code backward} reads
   * @param saved arrays only {@code backward} reads, freed after it
   */
  private Var result(INDArray value, boolean needsGradient, Backward backward, Var[] reads, INDArray... saved) {
    Var result = new Var(value, recording && needsGradient, true);
    owned.add(result);
    if (result.needsGradient) {
      result.backward = backward;
      result.reads = reads;
      result.saved = saved;
      for (Var read : reads) {
        read.readers++;
      }
      recorded.add(result);
    } else {
      free(saved);
    }
    return result;
  }

  /** How many values the tape has made: a mark for {@link #releaseSince}. */
  public int mark() {
    return owned.size();
  }

  /**
   * Tells the tape that the forward pass needs no value made since {@code mark} but {@code keep}
   * (null: none): each is freed now, or after the last backward step that reads it.
   */
  public void releaseSince(int mark, Var keep) {
    for (Var var : owned.subList(mark, owned.size())) {
      if (var != keep) {
        release(var);
      }
    }
  }

  /** Tells the tape that the forward pass no longer needs {@code var}'s value. */
  public void release(Var var) {
    if (var.owned && !var.released) {
      var.released = true;
      freeIfUnused(var);
    }
  }

  private void freeIfUnused(Var var) {
    if (var.released && var.readers == 0 && var.value != null) {
      free(var.value);
      var.value = null;
    }
  }

  /**
   * Gives arrays from the pool back to it and closes others that own their buffer; a view's buffer
   * belongs to the array it views.
   */
  private void free(INDArray... toFree) {
    if (toFree != null) {
      for (INDArray array : toFree) {
        if (array != null && !arrays.recycle(array) && array.closeable()) {
          array.close();
        }
      }
    }
  }

  /** A row-major array from the pool, its contents undefined until written. */
  private INDArray uninitialized(DataType dataType, long... shape) {
    return arrays.uninitialized(dataType, shape);
  }

  /** op(a) · op(b), a new array. */
  private INDArray product(INDArray a, INDArray b, boolean transposeA, boolean transposeB) {
    INDArray c = uninitialized(a.dataType(), transposeA ? a.size(1) : a.size(0), transposeB ? b.size(0) : b.size(1));
    return Gemm.multiply(a, b, c, transposeA, transposeB, 1, 0);
  }

  /** Adds {@code gradient} to {@code target}'s; {@code owned}: a fresh array the tape may keep or free. */
  private void accumulate(Var target, INDArray gradient, boolean owned) {
    if (!target.needsGradient) {
      if (owned) {
        free(gradient);
      }
    } else if (target.gradient == null) {
      target.gradient = owned ? gradient : gradient.dup();
    } else {
      target.gradient.addi(gradient);
      if (owned) {
        free(gradient);
      }
    }
  }

  /** Adds op(a)·op(b) to {@code target}'s gradient, in place where it already has one. */
  private void accumulateProduct(Var target, INDArray a, INDArray b, boolean transposeA, boolean transposeB) {
    if (!target.needsGradient) {
      return;
    }
    if (target.gradient == null) {
      target.gradient = product(a, b, transposeA, transposeB);
    } else {
      Gemm.multiply(a, b, target.gradient, transposeA, transposeB, 1, 1);
    }
  }

  /** The gradient of {@code target}, allocated as zeros if nothing reached it yet. */
  private static INDArray gradientOf(Var target) {
    if (target.gradient == null) {
      target.gradient = Nd4j.zeros(target.dataType, target.shape);
    }
    return target.gradient;
  }

  /** a · b, or a · bᵀ. */
  public Var mmul(Var a, Var b, boolean transposeB) {
    return linear(a, b, null, transposeB);
  }

  /** x · W + b: a dense layer. */
  public Var dense(Var x, Var weight, Var bias) {
    return linear(x, weight, bias, false);
  }

  /** x · Wᵀ + b: a dense layer whose weight is stored [out, in], as tied output embeddings are. */
  public Var denseTransposed(Var x, Var weight, Var bias) {
    return linear(x, weight, bias, true);
  }

  /** x · op(W) (+ b): one GEMM, the bias added in place; backward reads W for dx and x for dW. */
  private Var linear(Var x, Var weight, Var bias, boolean transposeWeight) {
    INDArray value = product(x.value, weight.value, false, transposeWeight);
    if (bias != null) {
      value.addiRowVector(bias.value);
    }
    boolean biasLearns = bias != null && bias.needsGradient;
    List<Var> reads = new ArrayList<>(2);
    if (x.needsGradient) {
      reads.add(weight);
    }
    if (weight.needsGradient) {
      reads.add(x);
    }
    return result(
        value,
        x.needsGradient || weight.needsGradient || biasLearns,
        g -> {
          accumulateProduct(x, g, weight.value, false, !transposeWeight);
          if (transposeWeight) {
            accumulateProduct(weight, g, x.value, true, false);
          } else {
            accumulateProduct(weight, x.value, g, true, false);
          }
          if (biasLearns) {
            accumulate(bias, g.sum(0).reshape(bias.shape), true);
          }
          free(g);
        },
        reads.toArray(NOTHING_READ));
  }

  public Var add(Var a, Var b) {
    return result(
        a.value.add(b.value, uninitialized(a.dataType, a.shape)),
        a.needsGradient || b.needsGradient,
        g -> accumulateSum(a, b, g),
        NOTHING_READ);
  }

  /** A sum's backward: g, which it owns, added to both terms' gradients. */
  private void accumulateSum(Var a, Var b, INDArray g) {
    accumulate(a, g, false);
    accumulate(b, g, true);
  }

  public Var sub(Var a, Var b) {
    return result(
        a.value.sub(b.value),
        a.needsGradient || b.needsGradient,
        g -> {
          if (b.needsGradient) {
            accumulate(b, g.neg(), true);
          }
          accumulate(a, g, true);
        },
        NOTHING_READ);
  }

  public Var scale(Var x, double factor) {
    return result(x.value.mul(factor), x.needsGradient, g -> accumulate(x, g.muli(factor), true), NOTHING_READ);
  }

  /** Columns [from, to) of x. */
  public Var columns(Var x, long from, long to) {
    return result(
        x.value.get(NDArrayIndex.all(), NDArrayIndex.interval(from, to)).dup(),
        x.needsGradient,
        g -> {
          gradientOf(x).get(NDArrayIndex.all(), NDArrayIndex.interval(from, to)).addi(g);
          free(g);
        },
        NOTHING_READ);
  }

  /** [a | b]: the columns of a, then those of b. */
  public Var concatColumns(Var a, Var b) {
    long split = a.shape[1];
    long width = split + b.shape[1];
    return result(
        Nd4j.hstack(a.value, b.value),
        a.needsGradient || b.needsGradient,
        g -> {
          accumulate(a, g.get(NDArrayIndex.all(), NDArrayIndex.interval(0, split)), false);
          accumulate(b, g.get(NDArrayIndex.all(), NDArrayIndex.interval(split, width)), false);
          free(g);
        },
        NOTHING_READ);
  }

  /**
   * LayerNorm over each row with a frozen gain and bias and the biased variance, as
   * torch.nn.LayerNorm. Backward reads the normalised rows and their inverse deviations only.
   */
  public Var layerNorm(Var x, INDArray gain, INDArray bias, double epsilon) {
    return normalise(x, null, gain, bias, epsilon);
  }

  /**
   * {@link #layerNorm} of x + residual, a transformer's residual connection and the norm after it:
   * with the fused kernels the sum is never stored, saving a pass over both inputs.
   */
  public Var residualLayerNorm(Var x, Var residual, INDArray gain, INDArray bias, double epsilon) {
    return normalise(x, residual, gain, bias, epsilon);
  }

  /** LayerNorm of x, or of x + residual unless {@code residual} is null. */
  private Var normalise(Var x, Var residual, INDArray gain, INDArray bias, double epsilon) {
    INDArray value;
    INDArray normalised;
    INDArray inverseDeviation;
    INDArray addend = residual == null ? null : residual.value;
    if (FusedKernels.applyTo(x.value, gain, bias) && (addend == null || FusedKernels.applyTo(addend))) {
      value = uninitialized(x.dataType, x.shape);
      normalised = uninitialized(x.dataType, x.shape);
      inverseDeviation = uninitialized(x.dataType, x.shape[0], 1);
      VectorKernels.layerNorm(x.value, addend, gain, bias, epsilon, value, normalised, inverseDeviation);
    } else {
      INDArray sum = addend == null ? x.value : x.value.add(addend, uninitialized(x.dataType, x.shape));
      INDArray mean = sum.mean(true, 1);
      INDArray centred = sum.subColumnVector(mean);
      // Σ(x − mean)² in one reduction, no array of squares (~30% of the forward's time)
      INDArray variance = Nd4j.exec(new SquaredNorm(centred, true, 1)).divi(x.shape[1]);
      inverseDeviation = Transforms.pow(variance.addi(epsilon), -0.5, false);
      free(mean);
      if (addend != null) {
        free(sum);
      }
      normalised = centred.muliColumnVector(inverseDeviation);
      value = normalised.mulRowVector(gain).addiRowVector(bias);
    }
    return result(
        value,
        x.needsGradient || residual != null && residual.needsGradient,
        g -> {
          INDArray dx = layerNormBackward(g, gain, normalised, inverseDeviation);
          if (residual == null) {
            accumulate(x, dx, true);
          } else {
            accumulateSum(x, residual, dx);
          }
        },
        NOTHING_READ,
        normalised,
        inverseDeviation);
  }

  /** LayerNorm's input gradient, given its output's g, which it overwrites or frees. */
  private INDArray layerNormBackward(INDArray g, INDArray gain, INDArray normalised, INDArray inverseDeviation) {
    if (FusedKernels.applyTo(g, gain, normalised, inverseDeviation)) {
      VectorKernels.layerNormBackward(g, gain, normalised, inverseDeviation);
      return g;
    }
    // dx = (g·γ − mean(g·γ) − x̂ · mean(g·γ ⊙ x̂)) / σ
    INDArray scaled = g.muliRowVector(gain);
    // the rows' dot products in one reduction, no array of products
    INDArray projection = Nd4j.createUninitialized(scaled.dataType(), scaled.size(0), 1);
    Nd4j.exec(new Dot(scaled, normalised, projection, 1)).divi(scaled.size(1));
    INDArray scaledMean = scaled.mean(true, 1);
    INDArray correction = normalised.mulColumnVector(projection);
    INDArray dx = scaled.subiColumnVector(scaledMean).subi(correction).muliColumnVector(inverseDeviation);
    free(projection, scaledMean, correction);
    return dx;
  }

  /**
   * An element-wise activation. Its derivative is computed here, while x is at hand, and saved for
   * backward in place of x.
   */
  public Var activation(HiddenActivation activation, Var x) {
    Activated activated = activate(activation, x.value, recording && x.needsGradient);
    INDArray slope = activated.derivative();
    return result(activated.value(), x.needsGradient, g -> accumulate(x, g.muli(slope), true), NOTHING_READ, slope);
  }

  /** f(x) and, if asked for, f'(x) (else null), both fresh arrays. */
  private record Activated(INDArray value, INDArray derivative) {}

  private Activated activate(HiddenActivation activation, INDArray x, boolean differentiate) {
    if (activation == HiddenActivation.GELU_ERF && FusedKernels.applyTo(x)) {
      INDArray value = uninitialized(x.dataType(), x.shape());
      INDArray derivative = differentiate ? uninitialized(x.dataType(), x.shape()) : null;
      VectorKernels.gelu(x, value, derivative);
      return new Activated(value, derivative);
    }
    if (activation == HiddenActivation.GELU_ERF) {
      // x·Φ(x), and Φ(x) + x·φ(x), from one erf
      INDArray cdf = erf(x.div(SQRT_2)).addi(1).muli(0.5);
      INDArray value = cdf.mul(x);
      INDArray derivative =
          differentiate ? Transforms.exp(x.mul(x).muli(-0.5), false).muli(INV_SQRT_2PI).muli(x).addi(cdf) : null;
      free(cdf);
      return new Activated(value, derivative);
    }
    INDArray value =
        switch (activation) {
          case GELU_TANH -> geluTanhInner(x).addi(1).muli(x).muli(0.5);
          case RELU -> Transforms.relu(x, true);
          case TANH -> Transforms.tanh(x, true);
          case SWISH -> Transforms.sigmoid(x, true).muli(x);
          case GELU_ERF -> throw new AssertionError("computed above");
        };
    return new Activated(value, differentiate ? derivative(activation, x, value) : null);
  }

  /** erf of x, in place. */
  private static INDArray erf(INDArray x) {
    return Nd4j.exec(new Erf(x, x));
  }

  /** tanh(√(2/π)(x + 0.044715x³)). */
  private static INDArray geluTanhInner(INDArray x) {
    return Transforms.tanh(x.mul(x).muli(GELU_TANH_CUBIC).addi(1).muli(x).muli(SQRT_2_OVER_PI), false);
  }

  /** f'(x), a fresh array, given x and f(x); GELU_ERF's is {@link #activate}'s. */
  private INDArray derivative(HiddenActivation activation, INDArray x, INDArray y) {
    return switch (activation) {
      // ½(1 + t) + ½x(1 − t²)·√(2/π)(1 + 3·0.044715x²)
      case GELU_TANH -> {
        INDArray t = geluTanhInner(x);
        INDArray slope = x.mul(x).muli(3 * GELU_TANH_CUBIC).addi(1).muli(SQRT_2_OVER_PI);
        INDArray tail = t.mul(t).rsubi(1).muli(slope).muli(x).muli(0.5);
        INDArray derivative = t.addi(1).muli(0.5).addi(tail);
        free(slope, tail);
        yield derivative;
      }
      case RELU -> Transforms.step(x, true);
      case TANH -> y.mul(y).rsubi(1);
      // σ(x)(1 + x(1 − σ(x)))
      case SWISH -> {
        INDArray sigmoid = Transforms.sigmoid(x, true);
        INDArray derivative = sigmoid.rsub(1).muli(x).addi(1).muli(sigmoid);
        free(sigmoid);
        yield derivative;
      }
      case GELU_ERF -> throw new AssertionError("computed with the value");
    };
  }

  /**
   * Multi-head self-attention of packed sequences with no padding: rows [keyOffsets[s],
   * keyOffsets[s] + keyLengths[s]) of k and v are sequence s's keys and values, [tokens, hidden],
   * rows [queryOffsets[s], queryOffsets[s] + queryLengths[s]) of q its queries (all its tokens, or
   * only those whose output is wanted), and a query attends to its own sequence's tokens only.
   * Returns the heads' contexts, merged, one row per query.
   *
   * <p>Each product is one {@link BatchedGemm} call for all sequences and heads, on [heads, length,
   * head size] strided views of the [rows, hidden] matrices, so heads are never split into copies.
   * Backward reads q, k, v and the probabilities.
   */
  public Var attention(
      Var q, Var k, Var v, int[] queryOffsets, int[] queryLengths, int[] keyOffsets, int[] keyLengths, int heads) {
    double scale = 1 / Math.sqrt(q.shape[1] / heads);
    INDArray context = uninitialized(q.dataType, q.shape);
    INDArray[] probabilities = new INDArray[keyOffsets.length];
    List<Product> scores = new ArrayList<>(keyOffsets.length);
    List<Product> contexts = new ArrayList<>(keyOffsets.length);
    for (int s = 0; s < keyOffsets.length; s++) {
      if (queryLengths[s] > 0) {
        probabilities[s] = uninitialized(q.dataType, heads, queryLengths[s], keyLengths[s]);
        scores.add(new Product(byHead(q.value, queryOffsets[s], queryLengths[s], heads),
            byHead(k.value, keyOffsets[s], keyLengths[s], heads), probabilities[s], false, true, scale));
        contexts.add(new Product(probabilities[s], byHead(v.value, keyOffsets[s], keyLengths[s], heads),
            byHead(context, queryOffsets[s], queryLengths[s], heads), false, false, 1));
      }
    }
    BatchedGemm.multiply(scores);
    softmax(rowsOf(probabilities));
    BatchedGemm.multiply(contexts);
    return result(
        context,
        q.needsGradient || k.needsGradient || v.needsGradient,
        g -> attentionBackward(g, q, k, v, probabilities, queryOffsets, keyOffsets, scale),
        new Var[] {q, k, v},
        probabilities);
  }

  /** The softmax of each row of each array, in place. */
  private static void softmax(List<INDArray> rows) {
    if (FusedKernels.applyTo(rows.toArray(INDArray[]::new))) {
      VectorKernels.softmax(rows, null);
    } else {
      rows.forEach(array -> Transforms.softmax(array, false));
    }
  }

  /**
   * Softmax's input gradient, in place of the probabilities' {@code gradients}, row-wise: dS = P ⊙
   * (dP − Σ(dP ⊙ P)).
   */
  private void softmaxBackward(List<INDArray> gradients, List<INDArray> probabilities) {
    List<INDArray> all = new ArrayList<>(gradients);
    all.addAll(probabilities);
    if (FusedKernels.applyTo(all.toArray(INDArray[]::new))) {
      VectorKernels.softmaxBackward(gradients, probabilities);
      return;
    }
    for (int i = 0; i < gradients.size(); i++) {
      INDArray products = gradients.get(i).mul(probabilities.get(i));
      INDArray sums = products.sum(true, 1);
      gradients.get(i).subiColumnVector(sums).muli(probabilities.get(i));
      free(products, sums);
    }
  }

  /** Each sequence's [heads, queries, keys] array, if any, as [heads · queries, keys] rows. */
  private static List<INDArray> rowsOf(INDArray[] sequences) {
    return Arrays.stream(sequences)
        .filter(Objects::nonNull)
        .map(x -> x.reshape(x.size(0) * x.size(1), x.size(2)))
        .toList();
  }

  private void attentionBackward(
      INDArray gradient, Var q, Var k, Var v, INDArray[] probabilities, int[] queryOffsets, int[] keyOffsets, double scale) {
    // rows of sequences without queries get no gradient, and every other row is written once
    boolean everyKeyQueried = Arrays.stream(probabilities).allMatch(Objects::nonNull);
    INDArray dq = uninitialized(q.dataType, q.shape);
    INDArray dk = everyKeyQueried ? uninitialized(k.dataType, k.shape) : Nd4j.zeros(k.dataType, k.shape);
    INDArray dv = everyKeyQueried ? uninitialized(v.dataType, v.shape) : Nd4j.zeros(v.dataType, v.shape);
    INDArray[] dProbabilities = new INDArray[probabilities.length];
    List<Product> fromContext = new ArrayList<>(2 * probabilities.length);
    List<Product> fromScores = new ArrayList<>(2 * probabilities.length);
    for (int s = 0; s < probabilities.length; s++) {
      if (probabilities[s] == null) {
        continue;
      }
      int heads = (int) probabilities[s].size(0);
      int queries = (int) probabilities[s].size(1);
      int keys = (int) probabilities[s].size(2);
      INDArray dContext = byHead(gradient, queryOffsets[s], queries, heads);
      dProbabilities[s] = uninitialized(gradient.dataType(), heads, queries, keys);
      fromContext.add(new Product(dContext, byHead(v.value, keyOffsets[s], keys, heads), dProbabilities[s], false, true, 1));
      fromContext.add(new Product(probabilities[s], dContext, byHead(dv, keyOffsets[s], keys, heads), true, false, 1));
      // dProbabilities[s] holds the scores' gradient by then
      fromScores.add(new Product(dProbabilities[s], byHead(k.value, keyOffsets[s], keys, heads),
          byHead(dq, queryOffsets[s], queries, heads), false, false, scale));
      fromScores.add(new Product(dProbabilities[s], byHead(q.value, queryOffsets[s], queries, heads),
          byHead(dk, keyOffsets[s], keys, heads), true, false, scale));
    }
    BatchedGemm.multiply(fromContext);
    softmaxBackward(rowsOf(dProbabilities), rowsOf(probabilities));
    BatchedGemm.multiply(fromScores);
    free(dProbabilities);
    accumulate(q, dq, true);
    accumulate(k, dk, true);
    accumulate(v, dv, true);
    free(gradient);
  }

  /** Rows {@code indices} of x, in that order; backward adds each row's gradient back at its row. */
  public Var rows(Var x, int[] indices) {
    return result(
        Nd4j.pullRows(x.value, 1, indices),
        x.needsGradient,
        g -> {
          INDArray target = gradientOf(x);
          for (int i = 0; i < indices.length; i++) {
            target.getRow(indices[i]).addi(g.getRow(i));
          }
          free(g);
        },
        NOTHING_READ);
  }

  /**
   * Rows [offset, offset + length) of a [tokens, hidden] matrix as [heads, length, head size]: head
   * h's columns are slice h. A strided view of the same buffer, no copy.
   */
  private static INDArray byHead(INDArray x, int offset, int length, int heads) {
    long headSize = x.size(1) / heads;
    long rowStride = x.stride(0);
    long columnStride = x.stride(1);
    return Nd4j.create(
        x.data(),
        new long[] {heads, length, headSize},
        new long[] {headSize * columnStride, rowStride, columnStride},
        x.offset() + offset * rowStride,
        'c');
  }

  /**
   * Runs every recorded step backward from {@code output}, whose gradient is {@code gradient} (the
   * tape frees it), leaving each parameter's gradient in its {@link Var} until {@link #close}.
   */
  public void backward(Var output, INDArray gradient) {
    if (!output.needsGradient) {
      free(gradient);
      return;
    }
    output.gradient = gradient;
    for (int i = recorded.size() - 1; i >= 0; i--) {
      Var var = recorded.get(i);
      if (var.gradient != null) {
        INDArray owned = var.gradient;
        var.gradient = null;
        var.backward.run(owned);
      }
      free(var.saved);
      var.saved = null;
      for (Var read : var.reads) {
        read.readers--;
        freeIfUnused(read);
      }
    }
    recorded.clear();
  }

  /** Frees everything the tape still holds: values, saved arrays, gradients, parameters' gradients included. */
  @Override
  public void close() {
    for (Var var : owned) {
      free(var.gradient, var.value);
      free(var.saved);
      var.value = null;
    }
    for (Var parameter : parameters) {
      free(parameter.gradient);
      parameter.gradient = null;
    }
    recorded.clear();
    owned.clear();
  }
}
