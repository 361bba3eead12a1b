package dev.adapterforge.ops.encoder;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Memory that a {@link Tape}'s arrays reuse. libnd4j zeroes every buffer it allocates, uninitialised
 * ones included, on the calling thread while the other cores wait: ~4% of an mBERT training step's
 * CPU time went to that {@code memset}. A pass's arrays come in a few sizes that recur in every
 * layer, so the buffer of an array the tape has freed serves the next array of its size class,
 * unwritten.
 *
 * <p>Lengths round up to size classes an eighth of a power of two apart, so that arrays whose sizes
 * differ a little (attention's per-sequence scores, one per sequence length) share buffers, and an
 * array may take an idle buffer a class or two larger. Small arrays are allocated as usual: zeroing
 * them costs less than pooling. The owner {@link #releaseIdle releases} the idle buffers at the end
 * of each pass, forward and backward: nothing idle is held while the loss allocates its
 * vocabulary-wide arrays, which peak memory is made of, and nothing waits for the garbage collector
 * when the owner is dropped.
 *
 * <p>Not thread-safe: one pool serves one tape at a time.
 */
final class ArrayPool {
  /** Below this many elements (256 KiB of floats), zeroing costs less than pooling. */
  private static final long SMALLEST_POOLED = 1 << 16;
  /** How many classes up an array may take an idle buffer from: three eighths more than it needs, at most. */
  private static final int LARGER_CLASSES_TAKEN = 2;

  private record SizeClass(DataType dataType, long capacity) {}

  private record Block(DataBuffer buffer, SizeClass sizeClass) {}

  private final Map<SizeClass, ArrayDeque<Block>> idle = new HashMap<>();
  /** Arrays handed out and not yet recycled, by identity: views of them are not the pool's to take back. */
  private final Map<INDArray, Block> lent = new IdentityHashMap<>();
  private final long smallestPooled;
  private final boolean poisonRecycled;

  ArrayPool() {
    this(SMALLEST_POOLED, false);
  }

  /**
   * @param smallestPooled arrays of fewer elements are allocated as usual
   * @param poisonRecycled fill recycled buffers with NaN, so that an operation that reads an array
   *     before writing it shows in its results (tests)
   */
  ArrayPool(long smallestPooled, boolean poisonRecycled) {
    this.smallestPooled = smallestPooled;
    this.poisonRecycled = poisonRecycled;
  }

  /** A dense row-major array of {@code shape} whose contents are undefined until written. */
  INDArray uninitialized(DataType dataType, long... shape) {
    long length = 1;
    for (long size : shape) {
      length *= size;
    }
    if (length < smallestPooled) {
      return Nd4j.createUninitialized(dataType, shape, 'c');
    }
    Block block = take(new SizeClass(dataType, capacity(length)));
    INDArray array = Nd4j.create(block.buffer(), shape, Nd4j.getStrides(shape, 'c'), 0, 'c');
    lent.put(array, block);
    return array;
  }

  /**
   * An idle block of {@code sizeClass} or, failing that, of one of the next classes up: a shorter
   * sequence's scores take a longer one's buffer rather than a new one. Else a new block.
   */
  private Block take(SizeClass sizeClass) {
    SizeClass candidate = sizeClass;
    for (int up = 0; up <= LARGER_CLASSES_TAKEN; up++) {
      ArrayDeque<Block> blocks = idle.get(candidate);
      if (blocks != null && !blocks.isEmpty()) {
        return blocks.pop();
      }
      candidate = new SizeClass(sizeClass.dataType(), capacity(candidate.capacity() + 1));
    }
    return new Block(Nd4j.createBuffer(sizeClass.dataType(), sizeClass.capacity(), false), sizeClass);
  }

  /**
   * Takes back an array {@link #uninitialized} handed out, whose contents nothing may read after.
   *
   * @return false, leaving it alone, if the pool did not hand out this array
   */
  boolean recycle(INDArray array) {
    Block block = lent.remove(array);
    if (block == null) {
      return false;
    }
    if (poisonRecycled) {
      long capacity = block.sizeClass().capacity();
      Nd4j.create(block.buffer(), new long[] {capacity}, new long[] {1}, 0, 'c').assign(Float.NaN);
    }
    idle.computeIfAbsent(block.sizeClass(), sizeClass -> new ArrayDeque<>()).push(block);
    return true;
  }

  /** Closes the idle buffers. */
  void releaseIdle() {
    idle.values().forEach(blocks -> blocks.forEach(block -> block.buffer().close()));
    idle.clear();
  }

  /** Elements the pool holds idle, until {@link #releaseIdle}. */
  long idleElements() {
    return idle.values().stream().flatMap(ArrayDeque::stream).mapToLong(block -> block.sizeClass().capacity()).sum();
  }

  /** The size class of {@code length}: the next multiple of an eighth of its highest power of two. */
  static long capacity(long length) {
    long step = Math.max(1, Long.highestOneBit(length) / 8);
    return (length + step - 1) / step * step;
  }
}
