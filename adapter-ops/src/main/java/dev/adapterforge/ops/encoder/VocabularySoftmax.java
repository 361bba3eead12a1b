package dev.adapterforge.ops.encoder;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The MLM loss's cross-entropy over the vocabulary, and its gradient, for {@link MaskedLmLoss}.
 * Computed whole (all logits, their softmax, and (softmax − one-hot)·E) unless the logits would be
 * large: with the {@link FusedKernels} it then runs over blocks of the vocabulary with an online
 * softmax, as flash attention does over keys. Per block: the rows' logits h·Eᵀ + b, each row's
 * running maximum and sum of exponentials, and exp(logits − maximum)·E accumulated, rescaled
 * whenever a row's maximum grows. A block of the embeddings is read by both products while it is in
 * cache, and the [rows, vocabulary] logits never exist (at every position of an mBERT batch of
 * 16x128, 980 MB), only a block's. VocabularySoftmaxTest holds the two to each other.
 */
final class VocabularySoftmax {
  /**
   * Vocabulary rows a block: its [2048, 768] float embeddings (6 MB) stay in this Xeon's L3
   * between the two products, and a few hundred rows' logits in L2.
   */
  static final int BLOCK = 2048;

  /**
   * Logits up to this size are computed whole: at a masked head's ~240 rows (113 MB at mBERT's
   * vocabulary) the blocks ran as fast in an mBERT step (350 against 336 ms) and slower in a
   * 256-wide model's (158 against 122), their products and forks being many and small. At every
   * position (2048 rows, 980 MB) the blocks saved 210 ms of a 4.7 s step and 1 GB of peak memory.
   */
  static final long WHOLE_LOGITS_BYTES = 128L << 20;

  private VocabularySoftmax() {}

  /**
   * @param losses per row, −log softmax(logits)[target], NaN where the row has no target
   * @param gradient d(Σ losses)/d(rows), [rows, hidden], zero at rows without a target; null when
   *     not asked for
   */
  record CrossEntropy(double[] losses, INDArray gradient) {}

  /**
   * The cross-entropy of each row's target under softmax(rows · embeddingsᵀ + bias).
   *
   * @param rows [rows, hidden]
   * @param embeddings [vocabulary, hidden]
   * @param bias [vocabulary]
   * @param targets per row, a vocabulary index, or negative for none (the row is projected all the
   *     same, as Hugging Face's loss does at unlabelled positions)
   */
  static CrossEntropy of(INDArray rows, INDArray embeddings, INDArray bias, int[] targets, boolean withGradient) {
    return of(rows, embeddings, bias, targets, withGradient, WHOLE_LOGITS_BYTES);
  }

  /** {@link #of} with a bound of the caller's on the logits computed whole. */
  static CrossEntropy of(
      INDArray rows, INDArray embeddings, INDArray bias, int[] targets, boolean withGradient, long wholeLogitsBytes) {
    long logitsBytes = rows.size(0) * embeddings.size(0) * rows.dataType().width();
    if (logitsBytes > wholeLogitsBytes
        && FusedKernels.applyTo(embeddings, bias)
        && rows.dataType() == embeddings.dataType()) {
      // DL4J's 2-D view of [batch, hidden, length] states is in 'f' order
      INDArray rowMajor = FusedKernels.applyTo(rows) ? rows : rows.dup('c');
      return blocked(rowMajor, embeddings, bias, targets, withGradient, BLOCK);
    }
    return whole(rows, embeddings, bias, targets, withGradient);
  }

  /**
   * The online softmax over blocks of {@code block} vocabulary rows, a multiple of 64 (so that
   * blocks start on whole vectors); arrays as the {@link FusedKernels} take them.
   */
  static CrossEntropy blocked(
      INDArray rows, INDArray embeddings, INDArray bias, int[] targets, boolean withGradient, int block) {
    if (block <= 0 || block % 64 != 0) {
      throw new IllegalArgumentException("a block of the vocabulary is a positive multiple of 64 rows, not " + block);
    }
    int count = (int) rows.size(0);
    int vocabulary = (int) embeddings.size(0);
    double[] maxima = new double[count];
    Arrays.fill(maxima, Double.NEGATIVE_INFINITY);
    double[] sums = new double[count];
    double[] targetLogits = new double[count];
    INDArray scratch = Nd4j.createUninitialized(rows.dataType(), count, Math.min(block, vocabulary));
    INDArray accumulated =
        withGradient ? Nd4j.createUninitialized(rows.dataType(), count, embeddings.size(1)) : null;
    float[] biases = VectorKernels.paddedCopy(bias);
    for (int from = 0; from < vocabulary; from += block) {
      int to = Math.min(vocabulary, from + block);
      INDArray slice = embeddings.get(NDArrayIndex.interval(from, to), NDArrayIndex.all());
      INDArray logits = scratch.get(NDArrayIndex.all(), NDArrayIndex.interval(0, to - from));
      Gemm.multiply(rows, slice, logits, false, true, 1, 0);
      for (int row = 0; row < count; row++) {
        if (targets[row] >= from && targets[row] < to) {
          // as the kernel adds them, in float
          targetLogits[row] = logits.getFloat(row, targets[row] - from) + biases[targets[row]];
        }
      }
      // the first block's product overwrites the accumulator, which nothing has written yet
      boolean first = from == 0;
      VectorKernels.onlineSoftmax(logits, biases, from, maxima, sums, first ? null : accumulated);
      if (withGradient) {
        Gemm.multiply(logits, slice, accumulated, false, false, 1, first ? 0 : 1);
      }
    }
    scratch.close();
    double[] losses = new double[count];
    for (int row = 0; row < count; row++) {
      losses[row] = targets[row] < 0 ? Double.NaN : maxima[row] + Math.log(sums[row]) - targetLogits[row];
    }
    return new CrossEntropy(losses, withGradient ? gradient(accumulated, sums, embeddings, targets) : null);
  }

  /** All logits at once, their softmax, and (softmax − one-hot)·E: for any backend and data type. */
  static CrossEntropy whole(
      INDArray rows, INDArray embeddings, INDArray bias, int[] targets, boolean withGradient) {
    // row-major whatever the rows' order, so the softmax walks contiguous rows (in 'f' order it ran
    // ~25x slower); Gemm hands the transpose to BLAS, where INDArray.mmul would copy the embeddings
    INDArray probabilities =
        Nd4j.createUninitialized(rows.dataType(), new long[] {rows.size(0), embeddings.size(0)}, 'c');
    Gemm.multiply(rows, embeddings, probabilities, false, true, 1, 0);
    if (FusedKernels.applyTo(probabilities, bias)) {
      VectorKernels.softmax(probabilities, bias);
    } else {
      Transforms.softmax(probabilities.addiRowVector(bias), false);
    }
    double[] losses = new double[targets.length];
    for (int row = 0; row < targets.length; row++) {
      if (targets[row] < 0) {
        losses[row] = Double.NaN;
      } else {
        double probability = probabilities.getDouble(row, targets[row]);
        losses[row] = -Math.log(probability);
        probabilities.putScalar(row, targets[row], probability - 1);
      }
    }
    if (!withGradient) {
      return new CrossEntropy(losses, null);
    }
    if (Arrays.stream(targets).anyMatch(target -> target < 0)) {
      // unlabelled rows pass no gradient, but are projected back all the same
      double[] labelled = Arrays.stream(targets).mapToDouble(target -> target < 0 ? 0 : 1).toArray();
      probabilities.muliColumnVector(Nd4j.createFromArray(labelled).reshape(targets.length, 1).castTo(rows.dataType()));
    }
    // (softmax − one-hot) · E as it stands: MKL runs it in 139 ms at 230 rows, its transpose
    // Eᵀ · (softmax − one-hot)ᵀ in 168 (OpenBLAS: 235 and 216)
    INDArray gradient =
        Gemm.multiply(
            probabilities, embeddings,
            Nd4j.createUninitialized(rows.dataType(), new long[] {rows.size(0), embeddings.size(1)}, 'c'),
            false, false, 1, 0);
    return new CrossEntropy(losses, gradient);
  }

  /** softmax · E − E[target] per row, from Σ exp(logit − maximum)·E and the rows' sums; zero without a target. */
  private static INDArray gradient(INDArray accumulated, double[] sums, INDArray embeddings, int[] targets) {
    float[] scales = new float[sums.length];
    for (int row = 0; row < scales.length; row++) {
      scales[row] = targets[row] < 0 ? 0 : (float) (1 / sums[row]);
    }
    accumulated.muliColumnVector(Nd4j.createFromArray(scales).reshape(scales.length, 1));
    for (int row = 0; row < targets.length; row++) {
      if (targets[row] >= 0) {
        accumulated.getRow(row).subi(embeddings.getRow(targets[row]));
      }
    }
    return accumulated;
  }
}
