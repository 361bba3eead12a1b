package dev.adapterforge.ops.encoder;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MaskedLmGraphTest {
  /**
   * mBERT's vocabulary of logits, spread as its head's are: summed in float, the normaliser is off
   * by ~1e-4 of the top probability; in double by nothing a float logit can show.
   */
  @Test
  void theSoftmaxNormaliserOverAWholeVocabularyIsExactToDoublePrecision() {
    int vocabulary = 119_547;
    Random random = new Random(5);
    float[] logits = new float[vocabulary];
    for (int v = 0; v < vocabulary; v++) {
      logits[v] = (float) (random.nextGaussian() * 2 - 4);
    }
    logits[17] = 12;
    double max = 12;
    // the reference: every exp summed to 34 digits
    BigDecimal sum = BigDecimal.ZERO;
    for (float logit : logits) {
      sum = sum.add(new BigDecimal(Math.exp(logit - max)), MathContext.DECIMAL128);
    }
    double exact = max + Math.log(sum.doubleValue());

    float floatSum = 0;
    for (float logit : logits) {
      floatSum += (float) Math.exp(logit - max);
    }
    double inFloat = max + Math.log(floatSum);

    double ours = MaskedLmGraph.logNormaliser(logits, 0, vocabulary);
    assertTrue(Math.abs(ours - exact) < 1e-12, "double: " + (ours - exact));
    assertTrue(Math.abs(inFloat - exact) > 100 * Math.abs(ours - exact), "float errs visibly: " + (inFloat - exact));
  }

  @Test
  void aWindowOfTheArrayIsItsOwnRow() {
    float[] rows = {0, 0, 0, 1000, 1000, 5};
    assertTrue(Math.abs(MaskedLmGraph.logNormaliser(rows, 0, 3) - Math.log(3)) < 1e-15);
    assertTrue(Math.abs(MaskedLmGraph.logNormaliser(rows, 3, 2) - (1000 + Math.log(2))) < 1e-12, "no overflow");
  }
}
