package dev.adapterforge.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.adapterforge.ops.encoder.TinyModel;
import dev.adapterforge.ops.model.BaseModel;
import dev.adapterforge.ops.tokenizer.TokenizerCache;
import dev.adapterforge.ops.tokenizer.TokenizerSpec;
import dev.adapterforge.prep.PreparedCorpus;
import dev.adapterforge.prep.PreparedOutput;
import dev.adapterforge.prep.Tokenization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;

/**
 * A tiny BERT folder and a prep output for it, in the real layout: language {@code xx}, sequences
 * of consecutive letters, so that masked tokens are predictable and training has something to
 * learn.
 */
final class TinyTrainingData {
  static final String LANGUAGE = "xx";
  /** A second language, the same kind of text. */
  static final String OTHER_LANGUAGE = "yy";

  private TinyTrainingData() {}

  /** The tiny model and a prep output for it, under one folder. */
  record Workspace(BaseModel model, Path data) {
    static Workspace under(SparkSession spark, Path root, int train) throws IOException {
      BaseModel model = TinyTrainingData.model(root.resolve("tiny-bert"));
      Path data = root.resolve("prepared");
      prepared(spark, model, data, train);
      return new Workspace(model, data);
    }
  }

  static BaseModel model(Path directory) throws IOException {
    return TinyModel.write(
        directory, TinyModel.BERT, TinyModel.huggingFaceWeights(TinyModel.tensorFlowWeights(TinyModel.BERT, 5), false));
  }

  /** Writes a published prep output of {@code train} and 40 validation sequences per language. */
  static void prepared(SparkSession spark, BaseModel model, Path output, int train) throws IOException {
    prepared(spark, model, output, train, 40);
  }

  /** Writes a published prep output of {@code train} and {@code validation} sequences per language. */
  static void prepared(SparkSession spark, BaseModel model, Path output, int train, int validation) throws IOException {
    List<Row> rows = new ArrayList<>();
    for (String language : List.of(LANGUAGE, OTHER_LANGUAGE)) {
      rows.addAll(sequences(language, train, validation, new Random(language.hashCode())));
    }
    write(spark, model, output, rows);
  }

  /** Runs of consecutive letters between [CLS] and [SEP], 4 to 10 long. */
  private static List<Row> sequences(String language, int train, int validation, Random random) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < train + validation; i++) {
      int length = 4 + random.nextInt(7);
      int start = random.nextInt(15);
      int[] ids = new int[length + 2];
      ids[0] = 2;
      for (int t = 0; t < length; t++) {
        ids[t + 1] = 5 + (start + t) % 15;
      }
      ids[length + 1] = 3;
      rows.add(
          RowFactory.create(
              language, i < train ? "train" : "validation", "letters.txt", String.valueOf(i), 0,
              Arrays.stream(ids).boxed().toList(), ids.length, 0, 0));
    }
    return rows;
  }

  private static void write(SparkSession spark, BaseModel model, Path output, List<Row> rows) throws IOException {
    spark.createDataFrame(rows, Tokenization.SCHEMA)
        .write()
        .partitionBy(PreparedCorpus.LANGUAGE, PreparedCorpus.SPLIT)
        .parquet(output.resolve(PreparedOutput.TOKENS).toString());
    ObjectMapper json = new ObjectMapper();
    ObjectNode stats = json.createObjectNode();
    stats.putObject("run")
        .put("base_model", model.id())
        .put("tokenizer_sha256", TokenizerCache.get(TokenizerSpec.fromFolder(model.directory())).sha256());
    ObjectNode languages = stats.putObject("languages");
    for (String language : List.of(LANGUAGE, OTHER_LANGUAGE)) {
      languages.putObject(language).putObject("coverage").put("script", "Latn");
    }
    json.writeValue(output.resolve(PreparedOutput.STATS).toFile(), stats);
    Files.writeString(output.resolve(PreparedOutput.SUCCESS), "");
  }
}
