package dev.adapterforge.prep;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.hash;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.regexp_extract;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.xxhash64;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.adapterforge.job.UsageException;
import dev.adapterforge.ops.checkpoint.Sha256;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;

/**
 * A published prep output read back for training or evaluation: checked complete ({@value
 * PreparedOutput#SUCCESS}), its languages and tokenizer taken from {@value PreparedOutput#STATS},
 * its token sequences read by language and split.
 */
public final class PreparedInput {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String location;
  private final List<String> languages;
  private final String tokenizerSha256;
  private final String baseModel;
  private final JsonNode stats;

  private PreparedInput(String location, JsonNode stats) {
    this.location = location;
    this.stats = stats;
    this.languages = new ArrayList<>();
    stats.path("languages").fieldNames().forEachRemaining(languages::add);
    this.tokenizerSha256 = stats.path("run").path("tokenizer_sha256").asText(null);
    this.baseModel = stats.path("run").path("base_model").asText(null);
  }

  /**
   * @param option the option that named the location, for messages
   * @throws UsageException if it is not a complete prep output
   */
  public static PreparedInput open(String location, String option, Configuration hadoopConf) {
    try {
      Path root = new Path(location);
      FileSystem fs = root.getFileSystem(hadoopConf);
      if (!fs.exists(root)) {
        throw new UsageException(option + ": " + location + " does not exist");
      }
      if (!PreparedOutput.isComplete(location, hadoopConf)) {
        throw new UsageException(
            option + ": " + location + " is not a published prep output (no " + PreparedOutput.SUCCESS
                + "); run prep-glotcc or prep-conceptnet to make one");
      }
      try (InputStream in = fs.open(new Path(root, PreparedOutput.STATS))) {
        return new PreparedInput(location, JSON.readTree(in));
      }
    } catch (IOException e) {
      throw new UsageException(option + ": cannot read " + location + ": " + e.getMessage(), e);
    }
  }

  public String location() {
    return location;
  }

  /** The languages it holds, as the prep job named them. */
  public List<String> languages() {
    return List.copyOf(languages);
  }

  /** Its stats.json, the lineage an adapter trained on it records. */
  public JsonNode stats() {
    return stats;
  }

  /**
   * @throws UsageException naming the languages there are
   */
  public void requireLanguage(String language, String option) {
    if (!languages.contains(language)) {
      throw new UsageException(
          option + ": " + location + " has no language " + language + "; it has " + String.join(", ", languages));
    }
  }

  /**
   * @throws UsageException if the sequences were tokenized with another tokenizer than the model's
   */
  public void requireTokenizer(String sha256, String modelId, String option) {
    if (tokenizerSha256 != null && !tokenizerSha256.equals(sha256)) {
      throw new UsageException(
          String.format(
              "%s: %s was tokenized with %s's tokenizer (SHA-256 %s…), not %s's (%s…); prepare it with"
                  + " --base-model %s",
              option, location, baseModel, tokenizerSha256.substring(0, 12), modelId, sha256.substring(0, 12), modelId));
    }
  }

  /** The token sequences of one language and split: rows of {@link Tokenization#SCHEMA}. */
  public Dataset<Row> sequences(SparkSession spark, String language, String split) {
    return spark
        .read()
        .schema(Tokenization.SCHEMA)
        .parquet(new Path(location, PreparedOutput.TOKENS).toString())
        .where(col(PreparedCorpus.LANGUAGE).equalTo(language).and(col(PreparedCorpus.SPLIT).equalTo(split)));
  }

  /**
   * At most {@code count} sequences of a language and split, chosen by a hash of the seed and each
   * sequence's source (file name, record, chunk), so the same sample comes back whatever the
   * partitioning or the folder the corpus was read from.
   */
  public List<int[]> sample(SparkSession spark, String language, String split, int count, long seed) {
    // the source file's name, not its path: the same corpus read from another folder gives the same sample
    Column sourceName = regexp_extract(col(PreparedCorpus.SOURCE_FILE), "[^/]*$", 0);
    List<Row> rows =
        sequences(spark, language, split)
            .orderBy(
                xxhash64(lit(seed), sourceName, col(PreparedCorpus.SOURCE_RECORD), col("chunk")),
                sourceName,
                col(PreparedCorpus.SOURCE_RECORD),
                col("chunk"))
            .select("input_ids")
            .limit(count)
            .collectAsList();
    List<int[]> sequences = new ArrayList<>(rows.size());
    for (Row row : rows) {
      List<Integer> ids = row.getList(0);
      sequences.add(ids.stream().mapToInt(Integer::intValue).toArray());
    }
    return sequences;
  }

  /**
   * Each language's content hash: SHA-256 over the tokenizer's checksum, the number of sequences
   * and two order-independent sums of per-sequence hashes of (split, input_ids), computed in one
   * pass. Equal hashes mean the same sequences in the same splits, however the files were written
   * or partitioned; source paths do not count, so a moved corpus hashes the same.
   */
  public Map<String, String> contentHashes(SparkSession spark) {
    Column sequence = struct(col(PreparedCorpus.SPLIT), col("input_ids"));
    // decimal sums cannot overflow, unlike a long sum of 64-bit hashes
    List<Row> sums =
        spark.read()
            .schema(Tokenization.SCHEMA)
            .parquet(new Path(location, PreparedOutput.TOKENS).toString())
            .groupBy(col(PreparedCorpus.LANGUAGE))
            .agg(
                count(lit(1)),
                sum(xxhash64(sequence).cast(DataTypes.createDecimalType(38, 0))),
                sum(hash(sequence).cast(DataTypes.LongType)))
            .collectAsList();
    Map<String, String> hashes = new TreeMap<>();
    for (Row row : sums) {
      String summary = tokenizerSha256 + "|" + row.getLong(1) + "|" + row.getDecimal(2).toPlainString() + "|" + row.getLong(3);
      hashes.put(row.getString(0), Sha256.ofText(summary));
    }
    return hashes;
  }
}
