package dev.adapterforge.ops.encoder;

import dev.adapterforge.ops.model.HiddenActivation;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
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
 */
public final class Tape {
  private static final double SQRT_2 = Math.sqrt(2);
  private static final double INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
  private static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
  private static final double GELU_TANH_CUBIC = 0.044715;

  /** A value on the tape and, once backward reaches it, the loss's gradient with respect to it. */
  public static final class Var {
    private final INDArray value;
    private final boolean needsGradient;
    private INDArray gradient;
    private Runnable backward;

    private Var(INDArray value, boolean needsGradient) {
      this.value = value;
      this.needsGradient = needsGradient;
    }

    public INDArray value() {
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

  private final List<Var> recorded = new ArrayList<>();
  private final boolean recording;

  /**
   * @param recording whether to record backward steps: false for inference, where parameters are
   *     constants too
   */
  public Tape(boolean recording) {
    this.recording = recording;
  }

  /** A value no gradient is wanted for: a frozen weight, an input. */
  public Var constant(INDArray value) {
    return new Var(value, false);
  }

  /** A trainable tensor, whose {@link Var#gradient} backward sets. Without recording, a constant. */
  public Var parameter(INDArray value) {
    return new Var(value, recording);
  }

  private Var result(INDArray value, boolean needsGradient, Runnable backward) {
    Var result = new Var(value, recording && needsGradient);
    if (result.needsGradient) {
      result.backward = backward;
      recorded.add(result);
    }
    return result;
  }

  /** Adds {@code gradient} to {@code target}'s; {@code owned}: a fresh array nothing else holds. */
  private static void accumulate(Var target, INDArray gradient, boolean owned) {
    if (!target.needsGradient) {
      return;
    }
    if (target.gradient == null) {
      target.gradient = owned ? gradient : gradient.dup();
    } else {
      target.gradient.addi(gradient);
    }
  }

  /** Adds op(a)·op(b) to {@code target}'s gradient, in place where it already has one. */
  private static void accumulateProduct(
      Var target, INDArray a, INDArray b, boolean transposeA, boolean transposeB, double alpha) {
    if (!target.needsGradient) {
      return;
    }
    if (target.gradient == null) {
      target.gradient = Nd4j.gemm(a, b, transposeA, transposeB);
      if (alpha != 1) {
        target.gradient.muli(alpha);
      }
    } else {
      Nd4j.gemm(a, b, target.gradient, transposeA, transposeB, alpha, 1);
    }
  }

  /** The gradient of {@code target}, allocated as zeros if nothing reached it yet. */
  private static INDArray gradientOf(Var target) {
    if (target.gradient == null) {
      target.gradient = Nd4j.zeros(target.value.dataType(), target.value.shape());
    }
    return target.gradient;
  }

  /** a · b, or a · bᵀ. */
  public Var mmul(Var a, Var b, boolean transposeB) {
    INDArray value = Nd4j.gemm(a.value, b.value, false, transposeB);
    Var[] out = new Var[1];
    out[0] =
        result(
            value,
            a.needsGradient || b.needsGradient,
            () -> {
              INDArray g = out[0].gradient;
              accumulateProduct(a, g, b.value, false, !transposeB, 1);
              if (transposeB) {
                accumulateProduct(b, g, a.value, true, false, 1);
              } else {
                accumulateProduct(b, a.value, g, true, false, 1);
              }
            });
    return out[0];
  }

  /** x + bias in every row; bias is [columns] or [1, columns]. */
  public Var addBias(Var x, Var bias) {
    INDArray value = x.value.addRowVector(bias.value);
    Var[] out = new Var[1];
    out[0] =
        result(
            value,
            x.needsGradient || bias.needsGradient,
            () -> {
              INDArray g = out[0].gradient;
              accumulate(x, g, false);
              accumulate(bias, g.sum(0).reshape(bias.value.shape()), true);
            });
    return out[0];
  }

  /** x · W + b: a dense layer. */
  public Var dense(Var x, Var weight, Var bias) {
    return addBias(mmul(x, weight, false), bias);
  }

  public Var add(Var a, Var b) {
    Var[] out = new Var[1];
    out[0] =
        result(
            a.value.add(b.value),
            a.needsGradient || b.needsGradient,
            () -> {
              accumulate(a, out[0].gradient, false);
              accumulate(b, out[0].gradient, false);
            });
    return out[0];
  }

  public Var sub(Var a, Var b) {
    Var[] out = new Var[1];
    out[0] =
        result(
            a.value.sub(b.value),
            a.needsGradient || b.needsGradient,
            () -> {
              accumulate(a, out[0].gradient, false);
              accumulate(b, out[0].gradient.neg(), true);
            });
    return out[0];
  }

  public Var scale(Var x, double factor) {
    Var[] out = new Var[1];
    out[0] =
        result(x.value.mul(factor), x.needsGradient, () -> accumulate(x, out[0].gradient.mul(factor), true));
    return out[0];
  }

  /** Columns [from, to) of x. */
  public Var columns(Var x, long from, long to) {
    INDArray value = x.value.get(NDArrayIndex.all(), NDArrayIndex.interval(from, to)).dup();
    Var[] out = new Var[1];
    out[0] =
        result(
            value,
            x.needsGradient,
            () -> gradientOf(x).get(NDArrayIndex.all(), NDArrayIndex.interval(from, to)).addi(out[0].gradient));
    return out[0];
  }

  /** [a | b]: the columns of a, then those of b. */
  public Var concatColumns(Var a, Var b) {
    long split = a.value.size(1);
    long width = split + b.value.size(1);
    Var[] out = new Var[1];
    out[0] =
        result(
            Nd4j.hstack(a.value, b.value),
            a.needsGradient || b.needsGradient,
            () -> {
              INDArray g = out[0].gradient;
              accumulate(a, g.get(NDArrayIndex.all(), NDArrayIndex.interval(0, split)).dup(), true);
              accumulate(b, g.get(NDArrayIndex.all(), NDArrayIndex.interval(split, width)).dup(), true);
            });
    return out[0];
  }

  /**
   * LayerNorm over each row with a frozen gain and bias and the biased variance, as
   * torch.nn.LayerNorm.
   */
  public Var layerNorm(Var x, INDArray gain, INDArray bias, double epsilon) {
    INDArray centred = x.value.subColumnVector(x.value.mean(true, 1));
    INDArray inverseDeviation =
        Transforms.pow(centred.mul(centred).mean(true, 1).addi(epsilon), -0.5, false);
    INDArray normalised = centred.muliColumnVector(inverseDeviation);
    INDArray value = normalised.mulRowVector(gain).addiRowVector(bias);
    Var[] out = new Var[1];
    out[0] =
        result(
            value,
            x.needsGradient,
            () -> {
              // dx = (g·γ − mean(g·γ) − x̂ · mean(g·γ ⊙ x̂)) / σ
              INDArray scaled = out[0].gradient.mulRowVector(gain);
              INDArray projection = scaled.mul(normalised).mean(true, 1);
              INDArray dx =
                  scaled
                      .subiColumnVector(scaled.mean(true, 1))
                      .subi(normalised.mulColumnVector(projection))
                      .muliColumnVector(inverseDeviation);
              accumulate(x, dx, true);
            });
    return out[0];
  }

  /** An element-wise activation and its derivative. */
  public Var activation(HiddenActivation activation, Var x) {
    INDArray in = x.value;
    INDArray value =
        switch (activation) {
          case GELU_ERF -> erf(in.div(SQRT_2)).addi(1).muli(in).muli(0.5);
          case GELU_TANH -> geluTanhInner(in).addi(1).muli(in).muli(0.5);
          case RELU -> Transforms.relu(in, true);
          case TANH -> Transforms.tanh(in, true);
          case SWISH -> Transforms.sigmoid(in, true).muli(in);
        };
    Var[] out = new Var[1];
    out[0] =
        result(
            value,
            x.needsGradient,
            () -> accumulate(x, derivative(activation, in, value).muli(out[0].gradient), true));
    return out[0];
  }

  /** erf of x, in place. */
  private static INDArray erf(INDArray x) {
    return Nd4j.exec(new Erf(x, x));
  }

  /** tanh(√(2/π)(x + 0.044715x³)). */
  private static INDArray geluTanhInner(INDArray x) {
    return Transforms.tanh(x.mul(x).muli(GELU_TANH_CUBIC).addi(1).muli(x).muli(SQRT_2_OVER_PI), false);
  }

  /** f'(x), a fresh array, given x and f(x). */
  private static INDArray derivative(HiddenActivation activation, INDArray x, INDArray y) {
    return switch (activation) {
      // Φ(x) + x·φ(x)
      case GELU_ERF ->
          erf(x.div(SQRT_2))
              .addi(1)
              .muli(0.5)
              .addi(Transforms.exp(x.mul(x).muli(-0.5), false).muli(INV_SQRT_2PI).muli(x));
      // ½(1 + t) + ½x(1 − t²)·√(2/π)(1 + 3·0.044715x²)
      case GELU_TANH -> {
        INDArray t = geluTanhInner(x);
        INDArray slope = x.mul(x).muli(3 * GELU_TANH_CUBIC).addi(1).muli(SQRT_2_OVER_PI);
        INDArray tail = t.mul(t).rsubi(1).muli(slope).muli(x).muli(0.5);
        yield t.addi(1).muli(0.5).addi(tail);
      }
      case RELU -> Transforms.step(x, true);
      case TANH -> y.mul(y).rsubi(1);
      // σ(x)(1 + x(1 − σ(x)))
      case SWISH -> {
        INDArray sigmoid = Transforms.sigmoid(x, true);
        yield sigmoid.rsub(1).muli(x).addi(1).muli(sigmoid);
      }
    };
  }

  /**
   * Multi-head self-attention of packed sequences with no padding: rows [offsets[s], offsets[s] +
   * lengths[s]) of q, k and v are sequence s's queries, keys and values, [tokens, hidden], and a
   * token attends to its own sequence's tokens only. Returns the heads' contexts, merged.
   */
  public Var attention(Var q, Var k, Var v, int[] offsets, int[] lengths, int heads) {
    long hidden = q.value.size(1);
    long headSize = hidden / heads;
    double scale = 1 / Math.sqrt(headSize);
    INDArray context = Nd4j.createUninitialized(q.value.dataType(), q.value.shape());
    INDArray[][] saved = new INDArray[offsets.length][];
    for (int s = 0; s < offsets.length; s++) {
      INDArray queries = splitHeads(q.value, offsets[s], lengths[s], heads);
      INDArray keys = splitHeads(k.value, offsets[s], lengths[s], heads);
      INDArray values = splitHeads(v.value, offsets[s], lengths[s], heads);
      INDArray probabilities = Nd4j.createUninitialized(q.value.dataType(), heads, lengths[s], lengths[s]);
      INDArray contexts = Nd4j.createUninitialized(q.value.dataType(), heads, lengths[s], headSize);
      for (int h = 0; h < heads; h++) {
        Nd4j.gemm(queries.slice(h), keys.slice(h), probabilities.slice(h), false, true, scale, 0);
      }
      Transforms.softmax(probabilities.reshape((long) heads * lengths[s], lengths[s]), false);
      for (int h = 0; h < heads; h++) {
        Nd4j.gemm(probabilities.slice(h), values.slice(h), contexts.slice(h), false, false, 1, 0);
      }
      rows(context, offsets[s], lengths[s]).assign(contexts.permute(1, 0, 2).reshape(lengths[s], hidden));
      saved[s] = new INDArray[] {queries, keys, values, probabilities};
    }
    Var[] out = new Var[1];
    out[0] =
        result(
            context,
            q.needsGradient || k.needsGradient || v.needsGradient,
            () -> {
              for (int s = 0; s < offsets.length; s++) {
                attentionBackward(out[0].gradient, q, k, v, saved[s], offsets[s], lengths[s], heads, scale);
              }
            });
    return out[0];
  }

  private static void attentionBackward(
      INDArray gradient, Var q, Var k, Var v, INDArray[] saved, int offset, int length, int heads, double scale) {
    INDArray queries = saved[0];
    INDArray keys = saved[1];
    INDArray values = saved[2];
    INDArray probabilities = saved[3];
    INDArray contexts = splitHeads(gradient, offset, length, heads);
    INDArray dProbabilities = Nd4j.createUninitialized(gradient.dataType(), heads, length, length);
    INDArray dValues = Nd4j.createUninitialized(gradient.dataType(), values.shape());
    for (int h = 0; h < heads; h++) {
      Nd4j.gemm(contexts.slice(h), values.slice(h), dProbabilities.slice(h), false, true, 1, 0);
      Nd4j.gemm(probabilities.slice(h), contexts.slice(h), dValues.slice(h), true, false, 1, 0);
    }
    // softmax backward, row-wise: dS = P ⊙ (dP − Σ(dP ⊙ P))
    INDArray dScores = dProbabilities.reshape((long) heads * length, length);
    INDArray rowsP = probabilities.reshape((long) heads * length, length);
    dScores.subiColumnVector(dScores.mul(rowsP).sum(true, 1)).muli(rowsP);
    INDArray dQueries = Nd4j.createUninitialized(gradient.dataType(), queries.shape());
    INDArray dKeys = Nd4j.createUninitialized(gradient.dataType(), keys.shape());
    for (int h = 0; h < heads; h++) {
      Nd4j.gemm(dProbabilities.slice(h), keys.slice(h), dQueries.slice(h), false, false, scale, 0);
      Nd4j.gemm(dProbabilities.slice(h), queries.slice(h), dKeys.slice(h), true, false, scale, 0);
    }
    addMerged(q, dQueries, offset, length);
    addMerged(k, dKeys, offset, length);
    addMerged(v, dValues, offset, length);
  }

  /** Rows [offset, offset + length) of x, [length, hidden], as [heads, length, head size]. */
  private static INDArray splitHeads(INDArray x, int offset, int length, int heads) {
    return rows(x, offset, length).reshape('c', length, heads, x.size(1) / heads).permute(1, 0, 2).dup('c');
  }

  private static INDArray rows(INDArray x, int offset, int length) {
    return x.get(NDArrayIndex.interval(offset, offset + length), NDArrayIndex.all());
  }

  private static void addMerged(Var target, INDArray perHead, int offset, int length) {
    if (target.needsGradient) {
      long hidden = target.value.size(1);
      rows(gradientOf(target), offset, length)
          .addi(perHead.permute(1, 0, 2).reshape(length, hidden));
    }
  }

  /**
   * Runs every recorded step backward from {@code output}, whose gradient is {@code gradient},
   * leaving each parameter's gradient in its {@link Var}.
   */
  public void backward(Var output, INDArray gradient) {
    if (!output.needsGradient) {
      return;
    }
    output.gradient = gradient;
    for (int i = recorded.size() - 1; i >= 0; i--) {
      Var var = recorded.get(i);
      if (var.gradient != null) {
        var.backward.run();
        var.gradient = null;
      }
    }
    recorded.clear();
  }
}
