package dev.adapterforge.ops.adapters.sparse;

import dev.adapterforge.ops.checkpoint.Tensor;
import dev.adapterforge.ops.encoder.FrozenWeights;
import dev.adapterforge.ops.model.ModelArchitecture;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A sparse difference to base weights: per tuned weight, ascending flat indices into the weight as
 * the encoder holds it ([in, out], row-major) and a value at each. Language and task differences
 * compose by {@link #add}.
 */
public final class SparseDifference {

  /** One weight's entries. */
  record Entries(int[] indices, float[] values) {
    Entries {
      if (indices.length != values.length) {
        throw new IllegalArgumentException(indices.length + " indices but " + values.length + " values");
      }
    }
  }

  private final SortedMap<TunedWeight, Entries> entries;

  SparseDifference(SortedMap<TunedWeight, Entries> entries) {
    this.entries = Collections.unmodifiableSortedMap(new TreeMap<>(entries));
  }

  /**
   * LT-SFT's mask: the {@code count} entries of phase 1's dense differences with the largest
   * absolute change, over all weights at once; among equal changes, earlier weights (by layer,
   * then projection) and lower indices first, so the choice is deterministic. The values are the
   * phase-1 changes at those entries.
   *
   * @param phase1 a {@link DenseDifferenceAdapter}'s trained parameters, by name
   */
  public static SparseDifference select(Map<String, INDArray> phase1, long count) {
    SortedMap<TunedWeight, float[]> dense = new TreeMap<>();
    long total = 0;
    for (Map.Entry<String, INDArray> parameter : phase1.entrySet()) {
      float[] values = parameter.getValue().castTo(DataType.FLOAT).dup('c').reshape(parameter.getValue().length()).toFloatVector();
      dense.put(TunedWeight.ofParameter(parameter.getKey()), values);
      total += values.length;
    }
    if (count < 1 || count > total) {
      throw new IllegalArgumentException("cannot keep " + count + " of " + total + " entries");
    }
    float threshold = threshold(dense, total, count);
    long above = dense.values().stream()
        .mapToLong(values -> {
          long n = 0;
          for (float v : values) {
            n += Math.abs(v) > threshold ? 1 : 0;
          }
          return n;
        })
        .sum();
    long tiesLeft = count - above;
    SortedMap<TunedWeight, Entries> chosen = new TreeMap<>();
    for (Map.Entry<TunedWeight, float[]> weight : dense.entrySet()) {
      float[] values = weight.getValue();
      int[] indices = new int[values.length];
      int n = 0;
      for (int i = 0; i < values.length; i++) {
        float magnitude = Math.abs(values[i]);
        if (magnitude > threshold || magnitude == threshold && tiesLeft-- > 0) {
          indices[n++] = i;
        }
      }
      if (n > 0) {
        int[] kept = Arrays.copyOf(indices, n);
        float[] keptValues = new float[n];
        for (int i = 0; i < n; i++) {
          keptValues[i] = values[kept[i]];
        }
        chosen.put(weight.getKey(), new Entries(kept, keptValues));
      }
    }
    return new SparseDifference(chosen);
  }

  /** The count-th largest absolute value. */
  private static float threshold(SortedMap<TunedWeight, float[]> dense, long total, long count) {
    float[] magnitudes = new float[Math.toIntExact(total)];
    int next = 0;
    for (float[] values : dense.values()) {
      for (float v : values) {
        magnitudes[next++] = Math.abs(v);
      }
    }
    Arrays.sort(magnitudes);
    return magnitudes[Math.toIntExact(total - count)];
  }

  /** The same entries with zero values: where LT-SFT's phase 2 starts. */
  public SparseDifference zeroed() {
    SortedMap<TunedWeight, Entries> zeroed = new TreeMap<>();
    entries.forEach((weight, e) -> zeroed.put(weight, new Entries(e.indices(), new float[e.values().length])));
    return new SparseDifference(zeroed);
  }

  /** Entries over all weights. */
  public long size() {
    return entries.values().stream().mapToLong(e -> e.indices().length).sum();
  }

  SortedMap<TunedWeight, Entries> entries() {
    return entries;
  }

  /** Both differences at once: values summed where both have an entry, the union of entries. */
  public SparseDifference add(SparseDifference other) {
    SortedMap<TunedWeight, Entries> sum = new TreeMap<>(entries);
    other.entries.forEach((weight, theirs) -> sum.merge(weight, theirs, SparseDifference::union));
    return new SparseDifference(sum);
  }

  private static Entries union(Entries a, Entries b) {
    TreeSet<Integer> all = new TreeSet<>();
    Arrays.stream(a.indices()).forEach(all::add);
    Arrays.stream(b.indices()).forEach(all::add);
    int[] indices = all.stream().mapToInt(Integer::intValue).toArray();
    float[] values = new float[indices.length];
    for (Entries part : new Entries[] {a, b}) {
      for (int i = 0; i < part.indices().length; i++) {
        values[Arrays.binarySearch(indices, part.indices()[i])] += part.values()[i];
      }
    }
    return new Entries(indices, values);
  }

  /** The base weights with this difference added, for the bare encoder (a copy; the base is untouched). */
  public FrozenWeights applyTo(FrozenWeights weights) {
    FrozenWeights changed = weights;
    for (Map.Entry<TunedWeight, Entries> e : entries.entrySet()) {
      TunedWeight weight = e.getKey();
      INDArray base = weights.projectionWeight(weight.layer(), weight.projection());
      INDArray flat = base.dup('c').reshape(base.length());
      for (int i = 0; i < e.getValue().indices().length; i++) {
        int index = e.getValue().indices()[i];
        flat.putScalar(index, flat.getDouble(index) + e.getValue().values()[i]);
      }
      changed = changed.withProjectionWeight(weight.layer(), weight.projection(), flat.reshape(base.shape()));
    }
    return changed;
  }

  /** Each weight's indices read back from an artifact's {@code <name>.sft_indices} tensors. */
  static SortedMap<TunedWeight, int[]> indicesOf(Map<String, Tensor> tensors, ModelArchitecture architecture) {
    SortedMap<TunedWeight, int[]> indices = new TreeMap<>();
    tensors.forEach((name, tensor) -> {
      if (name.endsWith(SparseAdapter.INDICES_SUFFIX)) {
        TunedWeight weight = TunedWeight.ofHuggingFaceName(name.substring(0, name.length() - SparseAdapter.INDICES_SUFFIX.length()));
        indices.put(weight, SparseAdapter.fromTorchLayout(tensor.toLongs(), weight, architecture));
      }
    });
    if (indices.isEmpty()) {
      throw new IllegalArgumentException("no *" + SparseAdapter.INDICES_SUFFIX + " tensor: not an LT-SFT difference");
    }
    return indices;
  }
}
