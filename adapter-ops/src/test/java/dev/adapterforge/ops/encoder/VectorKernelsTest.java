package dev.adapterforge.ops.encoder;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Erf;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * {@link VectorKernels} against the same formulas composed of ND4J ops in double precision: widths
 * that are and are not whole vectors (tails), blocks' tails, and sizes that split over threads.
 */
class VectorKernelsTest {
  private static final double TOLERANCE = 2e-6;

  @Test
  void theTestJvmRunsTheKernels() {
    // bin/java17.args adds the Vector API module; without it every test below would still pass
    // while training silently took the composed ops
    assertTrue(FusedKernels.applyTo(Nd4j.rand(DataType.FLOAT, 4, 4)));
    INDArray rows = Nd4j.rand(DataType.FLOAT, 6, 4);
    assertFalse(FusedKernels.applyTo(rows.get(NDArrayIndex.interval(1, 5), NDArrayIndex.interval(0, 3))));
    assertFalse(FusedKernels.applyTo(rows.transpose()));
    assertFalse(FusedKernels.applyTo(rows.castTo(DataType.DOUBLE)));
  }

  @ParameterizedTest
  @ValueSource(ints = {37, 70_001})
  void geluAndItsDerivative(int length) {
    Nd4j.getRandom().setSeed(length);
    // spread over erf's clamp at ±4·√2 and beyond
    INDArray x = Nd4j.randn(DataType.FLOAT, length).muli(3);
    INDArray value = Nd4j.createUninitialized(DataType.FLOAT, length);
    INDArray derivative = Nd4j.createUninitialized(DataType.FLOAT, length);
    VectorKernels.gelu(x, value, derivative);

    INDArray z = x.castTo(DataType.DOUBLE);
    INDArray cdf = Nd4j.exec(new Erf(z.div(Math.sqrt(2)))).addi(1).muli(0.5);
    INDArray density = Transforms.exp(z.mul(z).muli(-0.5), false).muli(1 / Math.sqrt(2 * Math.PI));
    assertClose(cdf.mul(z), value);
    assertClose(density.muli(z).addi(cdf), derivative);

    INDArray valueOnly = Nd4j.createUninitialized(DataType.FLOAT, length);
    VectorKernels.gelu(x, valueOnly, null);
    assertTrue(valueOnly.equals(value));
  }

  @ParameterizedTest
  @CsvSource({"100, false", "768, false", "100, true", "768, true"})
  void layerNormAndItsBackward(int width, boolean withResidual) {
    Nd4j.getRandom().setSeed(width);
    int rows = 700;
    // an offset and a scale per row, as hidden states have
    INDArray x = Nd4j.randn(DataType.FLOAT, rows, width)
        .muliColumnVector(Nd4j.rand(DataType.FLOAT, rows, 1).muli(4).addi(0.5))
        .addiColumnVector(Nd4j.randn(DataType.FLOAT, rows, 1).muli(2));
    INDArray gain = Nd4j.randn(DataType.FLOAT, width);
    INDArray bias = Nd4j.randn(DataType.FLOAT, width);
    double epsilon = 1e-12;
    INDArray value = Nd4j.createUninitialized(DataType.FLOAT, rows, width);
    INDArray normalised = Nd4j.createUninitialized(DataType.FLOAT, rows, width);
    INDArray inverseDeviation = Nd4j.createUninitialized(DataType.FLOAT, rows, 1);
    // the residual connection's two terms, of different scales
    INDArray residual = withResidual ? Nd4j.randn(DataType.FLOAT, rows, width).muli(3) : null;
    VectorKernels.layerNorm(x, residual, gain, bias, epsilon, value, normalised, inverseDeviation);

    INDArray d = withResidual ? x.castTo(DataType.DOUBLE).addi(residual.castTo(DataType.DOUBLE)) : x.castTo(DataType.DOUBLE);
    INDArray centred = d.subColumnVector(d.mean(true, 1));
    INDArray expectedInverse = Transforms.pow(centred.mul(centred).mean(true, 1).addi(epsilon), -0.5, false);
    INDArray expectedNormalised = centred.mulColumnVector(expectedInverse);
    assertClose(expectedInverse, inverseDeviation);
    assertClose(expectedNormalised, normalised);
    assertClose(expectedNormalised.mulRowVector(gain.castTo(DataType.DOUBLE)).addiRowVector(bias.castTo(DataType.DOUBLE)), value);

    INDArray g = Nd4j.randn(DataType.FLOAT, rows, width);
    // dx = (s − mean(s) − x̂·mean(s ⊙ x̂))/σ with s = g ⊙ γ
    INDArray s = g.castTo(DataType.DOUBLE).muliRowVector(gain.castTo(DataType.DOUBLE));
    INDArray expectedDx = s.subColumnVector(s.mean(true, 1))
        .subi(expectedNormalised.mulColumnVector(s.mul(expectedNormalised).mean(true, 1)))
        .muliColumnVector(expectedInverse);
    VectorKernels.layerNormBackward(g, gain, normalised, inverseDeviation);
    assertClose(expectedDx, g);
  }

  @ParameterizedTest
  @ValueSource(ints = {5, 100, 128})
  void softmaxAndItsBackward(int width) {
    Nd4j.getRandom().setSeed(width);
    int rows = 700;
    // rows far below 0, whose exp underflows in float: a maximum that took the zero-filled tail
    // lanes for 0 would leave nothing to normalise
    INDArray x = Nd4j.randn(DataType.FLOAT, rows, width).muli(5).subi(150);
    INDArray expected = Transforms.softmax(x.castTo(DataType.DOUBLE), true);
    INDArray probabilities = x.dup();
    VectorKernels.softmax(probabilities, null);
    assertClose(expected, probabilities);
    // logits of a vocabulary projection: where float's sum with the bias stays exact enough
    INDArray logits = Nd4j.randn(DataType.FLOAT, rows, width).muli(2);
    INDArray bias = Nd4j.randn(DataType.FLOAT, width);
    INDArray withBias = logits.dup();
    VectorKernels.softmax(withBias, bias);
    assertClose(Transforms.softmax(logits.castTo(DataType.DOUBLE).addiRowVector(bias.castTo(DataType.DOUBLE)), false), withBias);

    INDArray dp = Nd4j.randn(DataType.FLOAT, rows, width);
    INDArray dpDouble = dp.castTo(DataType.DOUBLE);
    INDArray p = probabilities.castTo(DataType.DOUBLE);
    INDArray expectedDs = dpDouble.subColumnVector(dpDouble.mul(p).sum(true, 1)).muli(p);
    VectorKernels.softmaxBackward(List.of(dp), List.of(probabilities));
    assertClose(expectedDs, dp);
  }

  @Test
  void softmaxesOfArraysOfSeveralWidthsInOneCall() {
    Nd4j.getRandom().setSeed(9);
    // attention's sequences: a narrower row after a wider one finds the wider one's values in its
    // tail lanes, and rows far below 0 would show a maximum taken over them
    int[] widths = {128, 5, 100, 37, 16, 128, 70};
    List<INDArray> logits = new ArrayList<>();
    List<INDArray> probabilities = new ArrayList<>();
    List<INDArray> gradients = new ArrayList<>();
    for (int width : widths) {
      logits.add(Nd4j.randn(DataType.FLOAT, 300 + width, width).muli(5).subi(150));
      probabilities.add(logits.get(logits.size() - 1).dup());
      gradients.add(Nd4j.randn(DataType.FLOAT, 300 + width, width));
    }
    List<INDArray> dp = gradients.stream().map(INDArray::dup).toList();

    VectorKernels.softmax(probabilities, null);
    VectorKernels.softmaxBackward(dp, probabilities);

    for (int i = 0; i < widths.length; i++) {
      assertClose(Transforms.softmax(logits.get(i).castTo(DataType.DOUBLE), true), probabilities.get(i));
      INDArray g = gradients.get(i).castTo(DataType.DOUBLE);
      INDArray p = probabilities.get(i).castTo(DataType.DOUBLE);
      assertClose(g.subColumnVector(g.mul(p).sum(true, 1)).muli(p), dp.get(i));
    }
  }

  /** Within float rounding of the double-precision reference, relative to each array's scale. */
  private static void assertClose(INDArray expected, INDArray actual) {
    double scale = Math.max(1, expected.amaxNumber().doubleValue());
    double difference = Transforms.abs(expected.sub(actual.castTo(DataType.DOUBLE)), false).maxNumber().doubleValue();
    assertTrue(difference <= TOLERANCE * scale, "max difference " + difference + " at scale " + scale);
  }
}
