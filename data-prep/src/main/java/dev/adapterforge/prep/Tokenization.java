package dev.adapterforge.prep;

import dev.adapterforge.ops.tokenizer.TokenizedChunk;
import dev.adapterforge.ops.tokenizer.Tokenizer;
import dev.adapterforge.ops.tokenizer.TokenizerCache;
import dev.adapterforge.ops.tokenizer.TokenizerSpec;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
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
 * JVM (its definition travels once, as a broadcast). Line by line, as the reference paper trains:
 * each text becomes one sequence, or several when it is longer than the model's length, so nothing is
 * cut away.
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

  // Texts handed to the native tokenizer at once: its thread pool encodes a batch in parallel.
  private static final int BATCH = 256;

  private Tokenization() {}

  /** Rows of {@code text} (language, split, text, source_file, source_record) as {@link #SCHEMA} rows. */
  public static Dataset<Row> tokenize(Dataset<Row> text, Broadcast<TokenizerSpec> spec, int maxLength) {
    MapPartitionsFunction<Row, Row> encode = rows -> new BatchEncoder(TokenizerCache.get(spec.value()), rows, maxLength);
    return text.mapPartitions(encode, Encoders.row(SCHEMA));
  }

  /** Encodes a partition a batch at a time, lazily, so a partition never sits in memory whole. */
  private static final class BatchEncoder implements Iterator<Row> {
    private final Tokenizer tokenizer;
    private final Iterator<Row> input;
    private final int maxLength;
    private Iterator<Row> batch = List.<Row>of().iterator();

    BatchEncoder(Tokenizer tokenizer, Iterator<Row> input, int maxLength) {
      this.tokenizer = tokenizer;
      this.input = input;
      this.maxLength = maxLength;
    }

    @Override
    public boolean hasNext() {
      while (!batch.hasNext() && input.hasNext()) {
        batch = nextBatch().iterator();
      }
      return batch.hasNext();
    }

    @Override
    public Row next() {
      hasNext();
      return batch.next();
    }

    private List<Row> nextBatch() {
      List<Row> rows = new ArrayList<>(BATCH);
      List<String> texts = new ArrayList<>(BATCH);
      while (rows.size() < BATCH && input.hasNext()) {
        Row row = input.next();
        rows.add(row);
        texts.add(row.getAs(PreparedCorpus.TEXT));
      }
      List<List<TokenizedChunk>> encoded = tokenizer.chunkBatchWithCoverage(texts, maxLength);
      List<Row> out = new ArrayList<>(rows.size());
      for (int i = 0; i < rows.size(); i++) {
        Row row = rows.get(i);
        List<TokenizedChunk> chunks = encoded.get(i);
        for (int c = 0; c < chunks.size(); c++) {
          TokenizedChunk chunk = chunks.get(c);
          out.add(
              RowFactory.create(
                  row.getAs(PreparedCorpus.LANGUAGE), row.getAs(PreparedCorpus.SPLIT),
                  row.getAs(PreparedCorpus.SOURCE_FILE), row.getAs(PreparedCorpus.SOURCE_RECORD), c,
                  chunk.inputIds(), chunk.inputIds().length, chunk.unknownTokens(), chunk.unknownCharacters()));
        }
      }
      return out;
    }
  }
}
