package dev.adapterforge.ops.encoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adapterforge.ops.encoder.Tape.Var;
import dev.adapterforge.ops.model.HiddenActivation;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * {@link ArrayPool}'s size classes, reuse and trimming, and the tape on recycled memory: a training
 * pass whose every array comes from the pool filled with NaN gives the gradients of a pass on
 * fresh memory, so no tape operation reads an array before writing it.
 */
class ArrayPoolTest {
  private static final int HIDDEN = 16;
  private static final int HEADS = 4;

  @Test
  void sizeClassesAreAnEighthOfAPowerOfTwoApart() {
    assertEquals(65_536, ArrayPool.capacity(65_536));
    assertEquals(73_728, ArrayPool.capacity(65_537));
    assertEquals(7, ArrayPool.capacity(7));
    for (long length = 1; length < 50_000_000; length = length * 3 / 2 + 1) {
      long capacity = ArrayPool.capacity(length);
      assertTrue(capacity >= length && capacity <= length * 1.125 + 1, length + " rounds to " + capacity);
    }
    // mBERT's [rows, 768] from 1,537 to 1,706 rows (packed 128x16 batches have ~1,570) share a class
    assertEquals(1_179_648, ArrayPool.capacity(1_536 * 768));
    assertEquals(1_310_720, ArrayPool.capacity(1_537 * 768));
    assertEquals(1_310_720, ArrayPool.capacity(1_706 * 768));
  }

  @Test
  void aRecycledArraysMemoryServesTheNextArrayOfItsClass() {
    ArrayPool pool = new ArrayPool(1_000, false);
    INDArray first = pool.uninitialized(DataType.FLOAT, 40, 30).assign(3);
    long address = first.data().address();
    assertTrue(pool.recycle(first));
    assertFalse(pool.recycle(first), "an array goes back once");

    INDArray second = pool.uninitialized(DataType.FLOAT, 38, 31);
    assertEquals(address, second.data().address(), "1,178 elements fall in 1,200's class");
    assertEquals(3f, second.getFloat(37, 30), "recycled memory is not written over");
    assertArrayEquals(new long[] {38, 31}, second.shape());
    assertEquals('c', second.ordering());
    assertNotEquals(address, pool.uninitialized(DataType.FLOAT, 38, 31).data().address(), "one array per buffer");
    assertNotEquals(address, pool.uninitialized(DataType.DOUBLE, 40, 30).data().address(), "classes per type");
  }

  @Test
  void aShorterArrayTakesAnIdleBufferUpToTwoClassesLarger() {
    ArrayPool pool = new ArrayPool(1_000, false);
    INDArray large = pool.uninitialized(DataType.FLOAT, 1_280);
    INDArray tooLarge = pool.uninitialized(DataType.FLOAT, 1_536);
    pool.recycle(large);
    pool.recycle(tooLarge);
    // 1,100 falls in 1,152's class: 1,280 is two classes up, 1,536 three
    assertEquals(large.data().address(), pool.uninitialized(DataType.FLOAT, 1_100).data().address());
    assertNotEquals(tooLarge.data().address(), pool.uninitialized(DataType.FLOAT, 1_100).data().address());
    assertEquals(1_536, pool.idleElements());
  }

  @Test
  void onlyArraysThePoolHandedOutGoBack() {
    ArrayPool pool = new ArrayPool(1_000, false);
    INDArray lent = pool.uninitialized(DataType.FLOAT, 40, 30);
    assertFalse(pool.recycle(lent.get(NDArrayIndex.interval(0, 20), NDArrayIndex.all())), "a view of it");
    assertFalse(pool.recycle(Nd4j.createUninitialized(DataType.FLOAT, 40, 30)), "an array ND4J made");
    INDArray small = pool.uninitialized(DataType.FLOAT, 10, 10);
    assertFalse(pool.recycle(small), "an array below the pooled size");
    assertTrue(pool.recycle(lent));
  }

  @Test
  void releasingIdleBuffersClosesThemAndLeavesLentOnes() {
    ArrayPool pool = new ArrayPool(1_000, false);
    INDArray idle = pool.uninitialized(DataType.FLOAT, 5_000);
    INDArray lent = pool.uninitialized(DataType.FLOAT, 1_000).assign(2);
    pool.recycle(idle);
    assertEquals(5_120, pool.idleElements());

    pool.releaseIdle();
    assertEquals(0, pool.idleElements());
    assertTrue(idle.data().wasClosed());
    assertFalse(lent.data().wasClosed());
    assertEquals(2_000, lent.sumNumber().intValue());
    assertTrue(pool.recycle(lent));
  }

  @Test
  void poisonedPoolsHandOutNaN() {
    ArrayPool pool = new ArrayPool(1_000, true);
    pool.recycle(pool.uninitialized(DataType.FLOAT, 40, 30).assign(1));
    INDArray recycled = pool.uninitialized(DataType.FLOAT, 40, 30);
    assertTrue(Float.isNaN(recycled.getFloat(0, 0)) && Float.isNaN(recycled.getFloat(39, 29)));
  }

  @Test
  void theTapeWritesEveryRecycledArrayBeforeReadingIt() {
    Map<String, INDArray> weights = weights();
    int[] lengths = {7, 12, 4};
    Map<String, INDArray> fresh = gradients(new ArrayPool(Long.MAX_VALUE, false), weights, lengths, 1);

    ArrayPool poisoned = new ArrayPool(0, true);
    // other values, then a batch a row longer, whose [24, 16] and [24, 64] arrays fall in the classes
    // of [23, 16] and [23, 64]: the pass below takes only recycled arrays, some larger than it asks for
    gradients(poisoned, weights, lengths, 2);
    gradients(poisoned, weights, new int[] {7, 12, 5}, 3);
    long idle = poisoned.idleElements();
    assertTrue(idle > 0);
    Map<String, INDArray> recycled = gradients(poisoned, weights, lengths, 1);

    assertEquals(idle, poisoned.idleElements(), "every array the pass took came from the pool and went back");
    fresh.forEach(
        (name, expected) -> {
          INDArray actual = recycled.get(name);
          double difference = expected.sub(actual).amaxNumber().doubleValue();
          assertTrue(
              difference <= 1e-5 * expected.amaxNumber().doubleValue(),
              name + "'s gradient differs on recycled memory by " + difference);
        });
  }

  private static Map<String, INDArray> weights() {
    Nd4j.getRandom().setSeed(11);
    Map<String, INDArray> weights = new LinkedHashMap<>();
    for (String projection : new String[] {"query", "key", "value", "output", "up"}) {
      int out = projection.equals("up") ? 4 * HIDDEN : HIDDEN;
      weights.put(projection, Nd4j.randn(DataType.FLOAT, HIDDEN, out).muli(0.3));
      weights.put(projection + ".bias", Nd4j.randn(DataType.FLOAT, 1, out).muli(0.1));
    }
    weights.put("down", Nd4j.randn(DataType.FLOAT, 4 * HIDDEN, HIDDEN).muli(0.3));
    weights.put("down.bias", Nd4j.randn(DataType.FLOAT, 1, HIDDEN).muli(0.1));
    return weights;
  }

  /**
   * A transformer layer on packed sequences of {@code lengths}, every weight and the input
   * trainable, its output read at every other row: the gradients of a fixed projection of them.
   */
  private static Map<String, INDArray> gradients(
      ArrayPool pool, Map<String, INDArray> weights, int[] lengths, long seed) {
    int[] offsets = new int[lengths.length];
    int rows = 0;
    for (int s = 0; s < lengths.length; s++) {
      offsets[s] = rows;
      rows += lengths[s];
    }
    Nd4j.getRandom().setSeed(seed);
    INDArray gain = Nd4j.rand(DataType.FLOAT, HIDDEN).addi(0.5);
    INDArray bias = Nd4j.randn(DataType.FLOAT, HIDDEN);
    INDArray input = Nd4j.randn(DataType.FLOAT, rows, HIDDEN);
    int[] read = new int[rows / 2];
    for (int i = 0; i < read.length; i++) {
      read[i] = 2 * i;
    }
    INDArray outputGradient = Nd4j.randn(DataType.FLOAT, read.length, HIDDEN);

    try (Tape tape = new Tape(true, pool)) {
      Map<String, Var> onTape = new LinkedHashMap<>();
      weights.forEach((name, value) -> onTape.put(name, tape.parameter(value)));
      Var x = tape.parameter(input);
      Var q = tape.dense(x, onTape.get("query"), onTape.get("query.bias"));
      Var k = tape.dense(x, onTape.get("key"), onTape.get("key.bias"));
      Var v = tape.dense(x, onTape.get("value"), onTape.get("value.bias"));
      Var context = tape.attention(q, k, v, offsets, lengths, offsets, lengths, HEADS);
      Var projected = tape.dense(context, onTape.get("output"), onTape.get("output.bias"));
      Var attended = tape.residualLayerNorm(projected, x, gain, bias, 1e-12);
      Var hidden = tape.dense(attended, onTape.get("up"), onTape.get("up.bias"));
      Var up = tape.activation(HiddenActivation.GELU_ERF, hidden);
      Var down = tape.dense(up, onTape.get("down"), onTape.get("down.bias"));
      Var out = tape.layerNorm(tape.add(down, attended), gain, bias, 1e-12);
      Var output = tape.rows(out, read);
      tape.releaseSince(0, output);
      tape.backward(output, outputGradient);

      Map<String, INDArray> gradients = new LinkedHashMap<>();
      onTape.forEach((name, parameter) -> gradients.put(name, parameter.gradient().dup()));
      gradients.put("input", x.gradient().dup());
      return gradients;
    }
  }
}
