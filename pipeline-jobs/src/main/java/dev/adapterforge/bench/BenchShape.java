package dev.adapterforge.bench;

import dev.adapterforge.ops.model.HiddenActivation;
import dev.adapterforge.ops.model.ModelArchitecture;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One benchmarked configuration's model and batch shape: BERT with this many layers, hidden size,
 * heads, FFN width and vocabulary, batches of {@code batch} sequences padded to {@code seq}.
 */
record BenchShape(String name, int layers, int hidden, int heads, int ffn, int vocab, int seq, int batch) {
  static final int MAX_POSITIONS = 512;
  static final int MBERT_VOCAB = 119_547;

  /** The configurations of shared/bench/BASELINE.md, by name. */
  static final Map<String, BenchShape> PRESETS = presets();

  private static Map<String, BenchShape> presets() {
    Map<String, BenchShape> presets = new LinkedHashMap<>();
    for (BenchShape shape :
        new BenchShape[] {
          new BenchShape("small", 2, 256, 4, 1024, MBERT_VOCAB, 128, 16),
          new BenchShape("mbert-128x16", 12, 768, 12, 3072, MBERT_VOCAB, 128, 16),
          new BenchShape("mbert-64x8", 12, 768, 12, 3072, MBERT_VOCAB, 64, 8)
        }) {
      presets.put(shape.name(), shape);
    }
    return presets;
  }

  BenchShape {
    if (!name.matches("[A-Za-z0-9_.-]+")) {
      throw new IllegalArgumentException("name \"" + name + "\" must be letters, digits, '.', '_' or '-'");
    }
    if (seq < 4 || seq > MAX_POSITIONS || batch < 1) {
      throw new IllegalArgumentException("seq must be in [4, " + MAX_POSITIONS + "] and batch positive, got " + seq + " and " + batch);
    }
    architecture(layers, hidden, heads, ffn, vocab); // checks the model's sizes
  }

  /** Parses {@code NAME:LAYERS,HIDDEN,HEADS,FFN,VOCAB,SEQ,BATCH}, as {@link #spec()} writes it. */
  static BenchShape parse(String spec) {
    String[] nameAndSizes = spec.split(":", 2);
    String[] sizes = nameAndSizes.length == 2 ? nameAndSizes[1].split(",") : new String[0];
    if (sizes.length != 7) {
      throw new IllegalArgumentException("\"" + spec + "\" is not NAME:LAYERS,HIDDEN,HEADS,FFN,VOCAB,SEQ,BATCH");
    }
    int[] values = new int[7];
    for (int i = 0; i < 7; i++) {
      try {
        values[i] = Integer.parseInt(sizes[i].strip());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("\"" + sizes[i] + "\" in \"" + spec + "\" is not an integer", e);
      }
    }
    return new BenchShape(nameAndSizes[0], values[0], values[1], values[2], values[3], values[4], values[5], values[6]);
  }

  String spec() {
    return String.format("%s:%d,%d,%d,%d,%d,%d,%d", name, layers, hidden, heads, ffn, vocab, seq, batch);
  }

  /** mBERT's config.json with these sizes (dropout is in the config, but the encoder applies none). */
  ModelArchitecture architecture() {
    return architecture(layers, hidden, heads, ffn, vocab);
  }

  private static ModelArchitecture architecture(int layers, int hidden, int heads, int ffn, int vocab) {
    return new ModelArchitecture(
        "bert", layers, hidden, heads, ffn, MAX_POSITIONS, vocab, 2, HiddenActivation.GELU_ERF, 1e-12, 0.1, 0.1);
  }

  /** The model folder's name: shapes that differ only in their batches share one. */
  String modelFolder() {
    return String.format("bert-L%d-H%d-A%d-F%d-V%d", layers, hidden, heads, ffn, vocab);
  }

  /** BASELINE.md's timed steps: 10 for the small model, 5 at mBERT size. */
  int defaultSteps() {
    return layers >= 12 ? 5 : 10;
  }
}
