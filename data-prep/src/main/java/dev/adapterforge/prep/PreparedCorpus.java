package dev.adapterforge.prep;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.length;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.octet_length;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.udf;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

import dev.adapterforge.job.JobFailedException;
import dev.adapterforge.job.UsageException;
import dev.adapterforge.ops.tokenizer.TokenizerCache;
import dev.adapterforge.ops.tokenizer.TokenizerSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The second half of every corpus job, one implementation for all: from classified records to a
 * published output folder. A corpus job hands over one row per input record with {@link #LANGUAGE},
 * {@link #TEXT} (the clean training text), {@link #SOURCE_FILE}, {@link #SOURCE_RECORD} (line number or
 * record id), {@link #REASON} (a {@link DropReason} label, null when kept), {@link #DETAIL} and {@link
 * #RAW} (the record as read, for the quarantine), and optionally {@link #NATIVE_TEXT}: the part of a
 * code-mixed text written in the language itself, whose script stats.json reports.
 *
 * <p>Layout: {@code text/} and {@code tokens/} partitioned by language and split, {@code quarantine/}
 * partitioned by reason, {@code stats.json}, and {@code _SUCCESS} last ({@link PreparedOutput}).
 */
public final class PreparedCorpus {
  public static final String LANGUAGE = "language";
  public static final String SPLIT = "split";
  public static final String TEXT = "text";
  public static final String SOURCE_FILE = "source_file";
  public static final String SOURCE_RECORD = "source_record";
  public static final String REASON = "reason";
  public static final String DETAIL = "detail";
  public static final String RAW = "raw";
  public static final String NATIVE_TEXT = "native_text";

  /** The records a corpus job hands over, without the optional {@link #NATIVE_TEXT}. */
  public static final StructType RECORD_SCHEMA =
      new StructType()
          .add(LANGUAGE, DataTypes.StringType, true)
          .add(TEXT, DataTypes.StringType, true)
          .add(SOURCE_FILE, DataTypes.StringType, true)
          .add(SOURCE_RECORD, DataTypes.StringType, true)
          .add(REASON, DataTypes.StringType, true)
          .add(DETAIL, DataTypes.StringType, true)
          .add(RAW, DataTypes.StringType, true);

  public static final StructType TEXT_SCHEMA =
      new StructType()
          .add(LANGUAGE, DataTypes.StringType, false)
          .add(SPLIT, DataTypes.StringType, false)
          .add(TEXT, DataTypes.StringType, false)
          .add(SOURCE_FILE, DataTypes.StringType, true)
          .add(SOURCE_RECORD, DataTypes.StringType, true);

  private static final Logger LOG = LoggerFactory.getLogger(PreparedCorpus.class);
  // Characters of each record that vote for its language's script in stats.json.
  private static final int SCRIPT_SAMPLE = 200;

  private PreparedCorpus() {}

  /**
   * Splits, tokenizes and writes {@code classified}, counts everything into stats.json and publishes
   * the output, or leaves nothing published if anything fails, including {@code --fail-on-unk}.
   *
   * @param inputCountName what one input record is called in stats.json ({@code input_rows}, ...)
   * @param run the run's settings and lineage, recorded in stats.json
   * @param totals corpus-wide counts that belong to no language
   */
  public static CorpusStats publish(
      SparkSession spark,
      Dataset<Row> classified,
      PrepOptions options,
      PreparedOutput output,
      TokenizerSpec tokenizerSpec,
      String inputCountName,
      Map<String, Object> run,
      Map<String, Long> totals) {
    Dataset<Row> assigned =
        classified
            .withColumn(SPLIT, when(col(REASON).isNull(), options.split().assign(col(TEXT), options.seed())))
            .persist(StorageLevel.MEMORY_AND_DISK());
    Dataset<Row> records = withTrainCap(everySplitFilled(assigned, options), options);
    // usually no split needed filling and no cap applies: then records is the cached assigned itself
    if (records != assigned) {
      records.persist(StorageLevel.MEMORY_AND_DISK());
    }
    try {
      records
          .where(col(REASON).isNull())
          .select(LANGUAGE, SPLIT, TEXT, SOURCE_FILE, SOURCE_RECORD)
          .write()
          .partitionBy(LANGUAGE, SPLIT)
          .parquet(output.staged(PreparedOutput.TEXT));
      Dataset<Row> text = spark.read().schema(TEXT_SCHEMA).parquet(output.staged(PreparedOutput.TEXT));

      Broadcast<TokenizerSpec> spec = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(tokenizerSpec);
      Tokenization.tokenize(text, spec, options.maxLength(), options.packing())
          .write()
          .partitionBy(LANGUAGE, SPLIT)
          .parquet(output.staged(PreparedOutput.TOKENS));
      Dataset<Row> tokens = spark.read().schema(Tokenization.SCHEMA).parquet(output.staged(PreparedOutput.TOKENS));

      records
          .where(col(REASON).isNotNull())
          .select(LANGUAGE, REASON, DETAIL, SOURCE_FILE, SOURCE_RECORD, RAW)
          .write()
          .partitionBy(REASON)
          .parquet(output.staged(PreparedOutput.QUARANTINE));

      int specialTokensPerSequence = TokenizerCache.get(tokenizerSpec).encode("").length;
      CorpusStats stats =
          new CorpusStats(inputCountName, run, totals, languageStats(records, text, tokens, specialTokensPerSequence));
      List<String> violations = stats.conservationViolations();
      if (!violations.isEmpty()) {
        throw new IllegalStateException("records were lost or counted twice: " + violations);
      }
      if (stats.keptTotal() == 0 && !options.allowEmpty()) {
        throw new JobFailedException(
            "no record of the requested languages was kept (" + stats.dropSummary() + "); nothing published"
                + " (--allow-empty publishes an empty corpus)");
      }
      output.writeStaged(PreparedOutput.STATS, stats.toJson());

      List<String> poorlyCovered = stats.poorlyCovered(options.unkThreshold());
      poorlyCovered.forEach(language -> LOG.warn("Tokenizer coverage is poor for {}", language));
      if (options.failOnUnk() && !poorlyCovered.isEmpty()) {
        throw new UsageException(
            "--fail-on-unk: [UNK] share above --unk-threshold " + options.unkThreshold() + " for "
                + String.join("; ", poorlyCovered));
      }
      output.commit();
      return stats;
    } catch (RuntimeException e) {
      output.abort();
      throw e;
    } finally {
      records.unpersist();
      assigned.unpersist();
    }
  }

  /**
   * The records with every split of every language that has a record for each of them filled: a
   * small language whose hash-assigned split came out empty (17 documents split 15 / 0 / 2, say) is
   * split by rank instead, in the hash's order, so each split gets its share rounded and at least
   * one. Larger languages keep the hash's split, which no other record's arrival changes.
   */
  static Dataset<Row> everySplitFilled(Dataset<Row> records, PrepOptions options) {
    Map<String, long[]> countsBySplit = new TreeMap<>();
    for (Row row : records.where(col(REASON).isNull()).groupBy(LANGUAGE, SPLIT).count().collectAsList()) {
      countsBySplit.computeIfAbsent(row.getString(0), l -> new long[3])[SplitRatios.NAMES.indexOf(row.getString(1))] = row.getLong(2);
    }
    SplitRatios shares = options.split();
    Column byRank = null;
    List<String> languages = new ArrayList<>();
    for (Map.Entry<String, long[]> language : countsBySplit.entrySet()) {
      long[] counts = language.getValue();
      long kept = Arrays.stream(counts).sum();
      boolean emptySplit = IntStream.range(0, 3).anyMatch(split -> shares.share(split) > 0 && counts[split] == 0);
      if (emptySplit && kept >= shares.positiveShares()) {
        long[] sizes = shares.sizesByRank(kept);
        Column split = SplitRatios.byRank(col("rank"), sizes);
        Column isLanguage = col(LANGUAGE).equalTo(language.getKey());
        byRank = byRank == null ? when(isLanguage, split) : byRank.when(isLanguage, split);
        languages.add(language.getKey());
        LOG.info("{}: split by rank, {} records train/validation/test {} rather than the hash's {}, which left a split empty",
            language.getKey(), kept, Arrays.toString(sizes), Arrays.toString(counts));
      }
    }
    if (byRank == null) {
      return records;
    }
    Column small = coalesce(col(LANGUAGE).isin(languages.toArray()).and(col(REASON).isNull()), lit(false));
    WindowSpec inHashOrder =
        Window.partitionBy(col(LANGUAGE))
            .orderBy(shares.uniform(col(TEXT), options.seed()), col(TEXT), col(SOURCE_FILE), col(SOURCE_RECORD));
    Dataset<Row> split =
        records.where(small)
            .withColumn("rank", row_number().over(inHashOrder).minus(1))
            .withColumn(SPLIT, byRank)
            .drop("rank");
    return records.where(not(small)).unionByName(split);
  }

  /**
   * With {@code --max-train-bytes}, the records after the first that many bytes of each language's
   * train text, in an order fixed by the text and seed, become {@code train_cap}: the same records on
   * every run.
   */
  private static Dataset<Row> withTrainCap(Dataset<Row> split, PrepOptions options) {
    if (options.maxTrainBytes() == 0) {
      return split;
    }
    Column cumulativeBytes =
        sum(octet_length(col(TEXT)))
            .over(
                Window.partitionBy(col(LANGUAGE), col(SPLIT))
                    .orderBy(xxhash64(lit(options.seed()), col(TEXT)), col(SOURCE_FILE), col(SOURCE_RECORD))
                    .rowsBetween(Window.unboundedPreceding(), Window.currentRow()));
    Column overCap =
        col(REASON).isNull().and(col(SPLIT).equalTo(SplitRatios.NAMES.get(0))).and(cumulativeBytes.gt(options.maxTrainBytes()));
    return split
        .withColumn("over_cap", overCap)
        .withColumn(DETAIL, when(col("over_cap"), lit("train split capped at " + options.maxTrainBytes() + " bytes")).otherwise(col(DETAIL)))
        // the record stays findable by its source; its text is not copied into the quarantine
        .withColumn(RAW, when(col("over_cap"), lit(null).cast(DataTypes.StringType)).otherwise(col(RAW)))
        .withColumn(REASON, when(col("over_cap"), lit(DropReason.TRAIN_CAP.label())).otherwise(col(REASON)))
        .withColumn(SPLIT, when(col("over_cap"), lit(null).cast(DataTypes.StringType)).otherwise(col(SPLIT)))
        .drop("over_cap");
  }

  private static Map<String, CorpusStats.LanguageStats> languageStats(
      Dataset<Row> records, Dataset<Row> text, Dataset<Row> tokens, int specialTokensPerSequence) {
    Map<String, Map<String, Long>> outcomes = new HashMap<>();
    for (Row row : records.where(col(LANGUAGE).isNotNull()).groupBy(LANGUAGE, REASON).count().collectAsList()) {
      String reason = row.isNullAt(1) ? null : row.getString(1);
      outcomes.computeIfAbsent(row.getString(0), l -> new HashMap<>()).put(reason, row.getLong(2));
    }
    Map<String, Map<String, long[]>> textBySplit = bySplit(
        text.groupBy(LANGUAGE, SPLIT).agg(count(lit(1)), sum(length(col(TEXT)))).collectAsList());
    Map<String, Map<String, long[]>> tokensBySplit = bySplit(
        tokens.groupBy(LANGUAGE, SPLIT)
            .agg(count(lit(1)), sum("length"), sum("unk_tokens"), sum("unk_chars"))
            .collectAsList());
    Map<String, String> scripts = dominantScripts(records.where(col(REASON).isNull()));

    Map<String, CorpusStats.LanguageStats> stats = new HashMap<>();
    outcomes.forEach(
        (language, counts) -> {
          Map<String, Long> dropped = new LinkedHashMap<>(counts);
          long kept = dropped.containsKey(null) ? dropped.remove(null) : 0;
          long input = kept + dropped.values().stream().mapToLong(Long::longValue).sum();
          Map<String, CorpusStats.SplitCounts> splits = new LinkedHashMap<>();
          long sequences = 0, allTokens = 0, unkTokens = 0, characters = 0, unkCharacters = 0;
          for (String split : SplitRatios.NAMES) {
            long[] t = textBySplit.getOrDefault(language, Map.of()).getOrDefault(split, new long[2]);
            long[] k = tokensBySplit.getOrDefault(language, Map.of()).getOrDefault(split, new long[4]);
            splits.put(split, new CorpusStats.SplitCounts(t[0], k[0], k[1]));
            characters += t[1];
            sequences += k[0];
            allTokens += k[1];
            unkTokens += k[2];
            unkCharacters += k[3];
          }
          CorpusStats.Coverage coverage =
              new CorpusStats.Coverage(allTokens - sequences * specialTokensPerSequence, unkTokens, characters, unkCharacters);
          stats.put(language, new CorpusStats.LanguageStats(input, kept, dropped, splits, coverage, scripts.get(language)));
        });
    return stats;
  }

  /** language -> split -> the aggregate columns after the two keys, as longs (0 for null sums). */
  private static Map<String, Map<String, long[]>> bySplit(List<Row> rows) {
    Map<String, Map<String, long[]>> result = new HashMap<>();
    for (Row row : rows) {
      long[] values = new long[row.size() - 2];
      for (int i = 0; i < values.length; i++) {
        values[i] = row.isNullAt(i + 2) ? 0 : ((Number) row.get(i + 2)).longValue();
      }
      result.computeIfAbsent(row.getString(0), l -> new HashMap<>()).put(row.getString(1), values);
    }
    return result;
  }

  /**
   * Each language's script: every kept record votes with the most frequent Unicode script (COMMON and
   * INHERITED aside) of the first {@value #SCRIPT_SAMPLE} characters of its {@link #NATIVE_TEXT}, or
   * {@link #TEXT} when the job gives none. A vote per record, counted by a plain aggregation: no
   * language's records are ever gathered in one task.
   */
  private static Map<String, String> dominantScripts(Dataset<Row> kept) {
    String column = List.of(kept.columns()).contains(NATIVE_TEXT) ? NATIVE_TEXT : TEXT;
    Map<String, String> scripts = new HashMap<>();
    Map<String, Long> votes = new HashMap<>();
    for (Row row : kept.select(col(LANGUAGE), SCRIPT_OF.apply(col(column)).as("script")).groupBy(LANGUAGE, "script").count().collectAsList()) {
      String language = row.getString(0);
      if (row.getLong(2) > votes.getOrDefault(language, -1L)) {
        votes.put(language, row.getLong(2));
        scripts.put(language, row.isNullAt(1) ? "UNKNOWN" : row.getString(1));
      }
    }
    return scripts;
  }

  private static final UserDefinedFunction SCRIPT_OF =
      udf((UDF1<String, String>) PreparedCorpus::scriptOf, DataTypes.StringType);

  static String scriptOf(String text) {
    if (text == null) {
      return null;
    }
    Map<Character.UnicodeScript, Integer> counts = new EnumMap<>(Character.UnicodeScript.class);
    text.codePoints()
        .limit(SCRIPT_SAMPLE)
        .mapToObj(Character.UnicodeScript::of)
        .filter(s -> s != Character.UnicodeScript.COMMON && s != Character.UnicodeScript.INHERITED)
        .forEach(s -> counts.merge(s, 1, Integer::sum));
    return counts.entrySet().stream().max(Map.Entry.comparingByValue()).map(e -> e.getKey().name()).orElse(null);
  }

}
