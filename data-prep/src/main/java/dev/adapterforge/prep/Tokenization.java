package dev.adapterforge.prep;

import dev.adapterforge.ops.tokenizer.TokenizedChunk;
import dev.adapterforge.ops.tokenizer.Tokenizer;
import dev.adapterforge.ops.tokenizer.TokenizerCache;
import dev.adapterforge.ops.tokenizer.TokenizerSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Clean text to MLM-ready sequences with the base model's own tokenizer, one tokenizer per executor
 * JVM (its definition travels once, as a broadcast). Nothing is cut away: a line longer than the
 * model's length becomes several sequences ({@link Packing}).
 */
public final class Tokenization {
  public static final StructType SCHEMA =
      new StructType()
          .add(PreparedCorpus.LANGUAGE, DataTypes.StringType, false)
          .add(PreparedCorpus.SPLIT, DataTypes.StringType, false)
          .add(PreparedCorpus.SOURCE_FILE, DataTypes.StringType, true)
          .add(PreparedCorpus.SOURCE_RECORD, DataTypes.StringType, true)
          .add("chunk", DataTypes.IntegerType, false)
          .add("input_ids", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
          .add("length", DataTypes.IntegerType, false)
          .add("unk_tokens", DataTypes.IntegerType, false)
          .add("unk_chars", DataTypes.IntegerType, false);

  // Lines handed to the native tokenizer at once: its thread pool encodes a batch in parallel.
  private static final int BATCH = 256;

  private Tokenization() {}

  /**
   * Rows of {@code text} (language, split, text, source_file, source_record) as {@link #SCHEMA} rows.
   * A packed sequence names the record its first token came from.
   */
  public static Dataset<Row> tokenize(Dataset<Row> text, Broadcast<TokenizerSpec> spec, int maxLength, Packing packing) {
    MapPartitionsFunction<Row, Row> encode =
        rows -> {
          Tokenizer tokenizer = TokenizerCache.get(spec.value());
          return packing == Packing.line
              ? new LineEncoder(tokenizer, rows, maxLength)
              : new PackingEncoder(tokenizer, rows, maxLength);
        };
    // packing runs within one language and split at a time
    Dataset<Row> ordered = packing == Packing.line ? text : text.sortWithinPartitions(PreparedCorpus.LANGUAGE, PreparedCorpus.SPLIT);
    return ordered.mapPartitions(encode, Encoders.row(SCHEMA));
  }

  private static Row sequence(Row source, int chunk, int[] ids, int unkTokens, int unkChars) {
    return RowFactory.create(
        source.getAs(PreparedCorpus.LANGUAGE), source.getAs(PreparedCorpus.SPLIT),
        source.getAs(PreparedCorpus.SOURCE_FILE), source.getAs(PreparedCorpus.SOURCE_RECORD),
        chunk, ids, ids.length, unkTokens, unkChars);
  }

  /** A partition's output, produced a batch of input rows at a time so a partition never sits in memory whole. */
  private abstract static class BatchedEncoder implements Iterator<Row> {
    final Tokenizer tokenizer;
    final int maxLength;
    private final Iterator<Row> input;
    private Iterator<Row> pending = List.<Row>of().iterator();
    private boolean finished;

    BatchedEncoder(Tokenizer tokenizer, Iterator<Row> input, int maxLength) {
      this.tokenizer = tokenizer;
      this.input = input;
      this.maxLength = maxLength;
    }

    @Override
    public final boolean hasNext() {
      while (!pending.hasNext() && !finished) {
        List<Row> rows = new ArrayList<>(BATCH);
        List<String> lines = new ArrayList<>(BATCH);
        List<Row> lineSources = new ArrayList<>(BATCH);
        while (lines.size() < BATCH && input.hasNext()) {
          Row row = input.next();
          rows.add(row);
          for (String line : row.<String>getAs(PreparedCorpus.TEXT).split("\n")) {
            if (!line.isBlank()) {
              lines.add(line);
              lineSources.add(row);
            }
          }
        }
        finished = !input.hasNext();
        List<Row> out = new ArrayList<>();
        encode(lineSources, lines, out);
        if (finished) {
          flush(out);
        }
        pending = out.iterator();
      }
      return pending.hasNext();
    }

    @Override
    public final Row next() {
      hasNext();
      return pending.next();
    }

    abstract void encode(List<Row> sources, List<String> lines, List<Row> out);

    void flush(List<Row> out) {}
  }

  /** Every line its own sequence or sequences; chunks are numbered within their record. */
  private static final class LineEncoder extends BatchedEncoder {
    private Row previousSource;
    private int chunk;

    LineEncoder(Tokenizer tokenizer, Iterator<Row> input, int maxLength) {
      super(tokenizer, input, maxLength);
    }

    @Override
    void encode(List<Row> sources, List<String> lines, List<Row> out) {
      List<List<TokenizedChunk>> encoded = tokenizer.chunkBatchWithCoverage(lines, maxLength);
      for (int i = 0; i < lines.size(); i++) {
        Row source = sources.get(i);
        chunk = source == previousSource ? chunk : 0;
        previousSource = source;
        for (TokenizedChunk c : encoded.get(i)) {
          out.add(sequence(source, chunk++, c.inputIds(), c.unknownTokens(), c.unknownCharacters()));
        }
      }
    }
  }

  /**
   * Lines of one language and split run together, each followed by the tokenizer's separator (its
   * end-of-text tokens), and are cut into sequences of exactly {@code maxLength} (the last shorter).
   * A line's unknown characters count in the sequence where the line starts.
   */
  private static final class PackingEncoder extends BatchedEncoder {
    private final int[] prefix;
    private final int[] suffix;
    private final int unk;
    private final int[] buffer;
    private int filled;
    private int unkTokens;
    private int unkChars;
    private Row first;
    private int chunk;

    PackingEncoder(Tokenizer tokenizer, Iterator<Row> input, int maxLength) {
      super(tokenizer, input, maxLength);
      int[] empty = tokenizer.encode("");
      // [CLS][SEP] for BERT, <s></s> for XLM-R: one token opens a sequence, the rest end a text
      prefix = Arrays.copyOfRange(empty, 0, 1);
      suffix = Arrays.copyOfRange(empty, 1, empty.length);
      unk = tokenizer.specialTokens().unk();
      buffer = new int[maxLength - prefix.length - suffix.length];
    }

    @Override
    void encode(List<Row> sources, List<String> lines, List<Row> out) {
      List<List<TokenizedChunk>> encoded = tokenizer.chunkBatchWithCoverage(lines, Integer.MAX_VALUE);
      for (int i = 0; i < lines.size(); i++) {
        Row source = sources.get(i);
        if (first != null && !sameGroup(first, source)) {
          flush(out);
          chunk = 0;
        }
        TokenizedChunk whole = encoded.get(i).get(0);
        int[] ids = whole.inputIds();
        if (first == null) {
          first = source;
        }
        unkChars += whole.unknownCharacters();
        // the line's text tokens and its end-of-text tokens
        for (int t = prefix.length; t < ids.length; t++) {
          if (filled == buffer.length) {
            flush(out);
            first = source;
          }
          buffer[filled++] = ids[t];
          if (ids[t] == unk && t < ids.length - suffix.length) {
            unkTokens++;
          }
        }
      }
    }

    @Override
    void flush(List<Row> out) {
      if (filled == 0) {
        return;
      }
      int[] ids = new int[prefix.length + filled + suffix.length];
      System.arraycopy(prefix, 0, ids, 0, prefix.length);
      System.arraycopy(buffer, 0, ids, prefix.length, filled);
      System.arraycopy(suffix, 0, ids, prefix.length + filled, suffix.length);
      out.add(sequence(first, chunk++, ids, unkTokens, unkChars));
      filled = 0;
      unkTokens = 0;
      unkChars = 0;
      first = null;
    }

    private static boolean sameGroup(Row a, Row b) {
      return Objects.equals(a.getAs(PreparedCorpus.LANGUAGE), b.getAs(PreparedCorpus.LANGUAGE))
          && Objects.equals(a.getAs(PreparedCorpus.SPLIT), b.getAs(PreparedCorpus.SPLIT));
    }
  }
}
