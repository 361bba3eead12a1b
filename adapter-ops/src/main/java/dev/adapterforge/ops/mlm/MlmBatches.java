package dev.adapterforge.ops.mlm;

import dev.adapterforge.ops.encoder.EncoderLayer;
import dev.adapterforge.ops.tokenizer.SpecialTokens;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Training batches of token sequences for the encoder's DL4J layer, in the layout {@code
 * EncoderLayer} and {@code MaskedLmLoss} read: features [batch, 1, length] ids with the attention
 * mask as feature mask [batch, length] (the masked positions marked {@link EncoderLayer#PREDICTED});
 * labels [batch, 1, length] with each masked position's
 * target id, and the masked positions as label mask. Epochs are length-bucketed:
 * shuffled, cut into pools of {@value #POOL_BATCHES} batches, each pool sorted by length and cut
 * into batches, the batches shuffled, so that a batch's sequences have similar lengths and padding
 * stays low. Masking is dynamic: a sequence is masked afresh each time it is drawn.
 */
public final class MlmBatches {
  static final int POOL_BATCHES = 50;

  private final List<int[]> sequences;
  private final int batchSize;
  private final MlmMasking masking;
  private final SpecialTokens special;
  private final SplittableRandom random;
  private final List<List<int[]>> epoch = new ArrayList<>();
  private long realTokens;
  private long maskedTokens;
  private long paddedTokens;

  public MlmBatches(List<int[]> sequences, int batchSize, MlmMasking masking, SpecialTokens special, long seed) {
    if (sequences.isEmpty()) {
      throw new IllegalArgumentException("no training sequences");
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
    }
    this.sequences = List.copyOf(sequences);
    this.batchSize = batchSize;
    this.masking = masking;
    this.special = special;
    this.random = new SplittableRandom(seed);
  }

  /** The next batch, starting a new epoch when one is used up. */
  public MultiDataSet next() {
    if (epoch.isEmpty()) {
      epoch.addAll(bucketedEpoch());
    }
    return toDataSet(epoch.remove(epoch.size() - 1));
  }

  private List<List<int[]>> bucketedEpoch() {
    Random shuffler = new Random(random.nextLong());
    List<int[]> shuffled = new ArrayList<>(sequences);
    Collections.shuffle(shuffled, shuffler);
    List<List<int[]>> batches = new ArrayList<>();
    int pool = batchSize * POOL_BATCHES;
    for (int start = 0; start < shuffled.size(); start += pool) {
      List<int[]> sorted = new ArrayList<>(shuffled.subList(start, Math.min(start + pool, shuffled.size())));
      sorted.sort(Comparator.comparingInt(ids -> ids.length));
      for (int from = 0; from < sorted.size(); from += batchSize) {
        batches.add(sorted.subList(from, Math.min(from + batchSize, sorted.size())));
      }
    }
    Collections.shuffle(batches, shuffler);
    return batches;
  }

  private MultiDataSet toDataSet(List<int[]> batch) {
    int length = batch.stream().mapToInt(ids -> ids.length).max().orElseThrow();
    List<MaskedSequence> masked = new ArrayList<>(batch.size());
    for (int[] ids : batch) {
      MaskedSequence sequence = masking.mask(ids, random);
      masked.add(sequence);
      realTokens += ids.length;
      maskedTokens += sequence.maskedCount();
    }
    paddedTokens += (long) batch.size() * length;
    return toDataSet(masked, special.pad(), length);
  }

  /**
   * One batch of masked sequences in this class's layout, padded with {@code pad} to {@code length}.
   *
   * @throws IllegalArgumentException if a sequence is longer than {@code length}
   */
  public static MultiDataSet toDataSet(List<MaskedSequence> batch, int pad, int length) {
    int size = batch.size();
    float[][][] ids = new float[size][1][length];
    float[][] attention = new float[size][length];
    float[][][] targets = new float[size][1][length];
    float[][] labelMask = new float[size][length];
    for (int s = 0; s < size; s++) {
      MaskedSequence masked = batch.get(s);
      int[] input = masked.inputIds();
      if (input.length > length) {
        throw new IllegalArgumentException("a sequence of " + input.length + " tokens in a batch of length " + length);
      }
      Arrays.fill(ids[s][0], pad);
      for (int position = 0; position < input.length; position++) {
        ids[s][0][position] = input[position];
        attention[s][position] = 1;
      }
      for (int i = 0; i < masked.maskedCount(); i++) {
        targets[s][0][masked.positions()[i]] = masked.targets()[i];
        labelMask[s][masked.positions()[i]] = 1;
        attention[s][masked.positions()[i]] = EncoderLayer.PREDICTED;
      }
    }
    return new MultiDataSet(
        new INDArray[] {Nd4j.createFromArray(ids)},
        new INDArray[] {Nd4j.createFromArray(targets)},
        new INDArray[] {Nd4j.createFromArray(attention)},
        new INDArray[] {Nd4j.createFromArray(labelMask)});
  }

  /** Real tokens in the batches made so far. */
  public long realTokens() {
    return realTokens;
  }

  /** Masked (predicted) tokens in the batches made so far. */
  public long maskedTokens() {
    return maskedTokens;
  }

  /** Token slots (sequences × padded length) in the batches made so far. */
  public long tokenSlots() {
    return paddedTokens;
  }

  /** Share of the token slots made so far that were padding. */
  public double paddingFraction() {
    return paddedTokens == 0 ? 0 : 1 - (double) realTokens / paddedTokens;
  }
}
