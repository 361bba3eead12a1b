package dev.adapterforge.prep.glotcc;

import static org.apache.spark.sql.functions.array_intersect;
import static org.apache.spark.sql.functions.array_join;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.format_number;
import static org.apache.spark.sql.functions.input_file_name;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.regexp_replace;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.split;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.to_json;
import static org.apache.spark.sql.functions.udf;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

import dev.adapterforge.job.Range;
import dev.adapterforge.job.SparkJob;
import dev.adapterforge.ops.tokenizer.TokenizerSpec;
import dev.adapterforge.prep.CleanText;
import dev.adapterforge.prep.CorpusStats;
import dev.adapterforge.prep.DropReason;
import dev.adapterforge.prep.LanguageSelection;
import dev.adapterforge.prep.PrepOptions;
import dev.adapterforge.prep.PrepReport;
import dev.adapterforge.prep.PreparedCorpus;
import dev.adapterforge.prep.PreparedOutput;
import dev.adapterforge.prep.Utf8;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code prep-glotcc}: reads only the requested language folders; keeps a record for language L when
 * its content is not empty, its {@code identification-language} is L ({@code sun_Latn} or {@code
 * sun-Latn}), it carries none of the dropped quality warnings, and no earlier record of L has the same
 * text (after NFC and white-space folding) or a near-identical one (MinHash LSH).
 */
@Command(
    name = "prep-glotcc",
    description = {
      "GlotCC-V1 Parquet shards to clean, deduplicated MLM data per language, split and tokenized:",
      "OUTPUT/text, tokens, quarantine, stats.json."
    })
public final class GlotccPrep extends SparkJob {
  private static final Logger LOG = LoggerFactory.getLogger(GlotccPrep.class);
  static final String INPUT_COUNT = "input_rows";
  private static final String UNREADABLE = "(unreadable)";
  private static final String UNDECODABLE = "(undecodable)";

  // Null-safe: Spark may evaluate a UDF under a CASE branch whose condition is false.
  private static final UserDefinedFunction DOCUMENT =
      udf((UDF1<String, String>) t -> t == null ? null : CleanText.document(t), DataTypes.StringType);
  // the content's bytes as stored: Spark's strings would turn invalid UTF-8 into U+FFFD unseen
  private static final UserDefinedFunction INVALID_UTF8 =
      udf((UDF1<byte[], String>) b -> b == null ? null : Utf8.problem(b, b.length), DataTypes.StringType);
  private static final UserDefinedFunction DUPLICATE_KEY =
      udf((UDF1<String, String>) t -> t == null ? null : CleanText.duplicateKey(t), DataTypes.StringType);

  @Option(
      names = "--input",
      required = true,
      paramLabel = "DIR",
      description = "A GlotCC-V1 tree (v1.0/<lang>-<Script>/<lang>-<Script>_<k>.parquet) or its v1.0 folder; any Hadoop URI.")
  String input;

  @Option(
      names = "--languages",
      required = true,
      split = ",",
      splitSynopsisLabel = ",",
      paramLabel = "LANG-Script|all",
      description = "GlotCC language folders (sun-Latn, yor-Latn, ...) or 'all' for every folder present.")
  List<String> languages;

  @Option(
      names = "--drop-warnings",
      split = ",",
      splitSynopsisLabel = ",",
      defaultValue = "adult_signals,lorem_ipsum,js_warning,curly_bracket",
      paramLabel = "WARNING",
      description = "GlotCC quality warnings that drop a document; 'none' keeps every warned document.")
  List<String> dropWarnings;

  @Range(min = 0, max = 1)
  @Option(
      names = "--near-duplicate-threshold", paramLabel = "JACCARD",
      defaultValue = "0.8",
      description = "Jaccard similarity of character 5-gram sets at which a document is a near duplicate of an earlier one; 0 turns near-duplicate removal off.")
  double nearDuplicateThreshold;

  @Mixin PrepOptions prep;

  private GlotccTree tree;
  /** The shards' records as read and filtered, cached for the run; released when it ends. */
  private Dataset<Row> decoded;
  private PreparedOutput output;
  private TokenizerSpec tokenizer;

  @Override
  protected void validate() {
    LanguageSelection.check(languages, GlotccTree.FOLDER, "sun-Latn");
    Configuration hadoopConf = sparkOptions.hadoopConfiguration();
    PrepOptions.Plan plan = prep.plan(input, hadoopConf);
    output = plan.output();
    tokenizer = plan.tokenizer();
    tree = GlotccTree.scan(input, languages, hadoopConf);
  }

  @Override
  protected int run(SparkSession spark) {
    tree.unreadable().forEach(s -> LOG.warn("Quarantining unreadable shard {}: {}", s.path(), s.problem()));
    Dataset<Row> classified = classify(spark).unionByName(unreadableShards(spark), true);

    Map<String, Long> totals = new LinkedHashMap<>();
    totals.put("shards", (long) tree.shards().size());
    totals.put("unreadable_shards", (long) tree.unreadable().size());
    Map<String, Object> jobSettings = new LinkedHashMap<>();
    jobSettings.put("languages", tree.languages());
    jobSettings.put("drop_warnings", warningsToDrop());
    jobSettings.put("near_duplicate_threshold", nearDuplicateThreshold);
    Map<String, Object> run = prep.runSettings(spec.name(), input, tokenizer, jobSettings);

    CorpusStats stats;
    try {
      stats = PreparedCorpus.publish(spark, classified, prep, output, tokenizer, INPUT_COUNT, run, totals);
    } finally {
      if (decoded != null) {
        decoded.unpersist();
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    out.printf("%s: %d shards read, %d unreadable%n", spec.name(), tree.shards().size(), tree.unreadable().size());
    out.print(PrepReport.table(stats));
    out.printf("Published %s%n", output.target());
    return 0;
  }

  private List<String> warningsToDrop() {
    return dropWarnings.equals(List.of("none")) ? List.of() : dropWarnings;
  }

  /** One row per record of the readable shards, as {@link PreparedCorpus} records. */
  private Dataset<Row> classify(SparkSession spark) {
    if (tree.shards().isEmpty()) {
      return spark.createDataFrame(List.of(), PreparedCorpus.RECORD_SCHEMA);
    }
    String[] paths = tree.shards().stream().map(GlotccTree.Shard::path).toArray(String[]::new);
    Dataset<Row> read =
        spark.read()
            .option("ignoreCorruptFiles", "true")
            .parquet(paths)
            .select(GlotccColumns.REQUIRED.stream().map(c -> col("`" + c + "`")).toArray(Column[]::new))
            .withColumn(PreparedCorpus.SOURCE_FILE, input_file_name())
            .withColumn(PreparedCorpus.LANGUAGE, element_at(split(col(PreparedCorpus.SOURCE_FILE), "/"), -2));

    Column content = col(GlotccColumns.CONTENT);
    Column label = regexp_replace(col("`" + GlotccColumns.IDENTIFICATION_LANGUAGE + "`"), "_", "-");
    Column warned =
        array_intersect(
            coalesce(col("`" + GlotccColumns.QUALITY_WARNINGS + "`"), lit(new String[0])),
            lit(warningsToDrop().toArray(String[]::new)));
    Dataset<Row> filtered =
        read.withColumn("invalid_utf8", INVALID_UTF8.apply(content.cast(DataTypes.BinaryType)))
            .withColumn(
                "reason",
                when(col("invalid_utf8").isNotNull(), DropReason.MALFORMED.label())
                    .when(content.isNull().or(content.rlike("^[\\p{Z}\\s]*$")), DropReason.EMPTY.label())
                    .when(label.isNull().or(label.notEqual(col(PreparedCorpus.LANGUAGE))), DropReason.WRONG_LANGUAGE.label())
                    .when(size(warned).gt(0), DropReason.QUALITY_WARNING.label()))
            .withColumn(
                "detail",
                when(col("reason").equalTo(DropReason.MALFORMED.label()), concat(lit("content: "), col("invalid_utf8")))
                    .when(col("reason").equalTo(DropReason.WRONG_LANGUAGE.label()), concat(lit("labelled "), coalesce(label, lit("nothing"))))
                    .when(col("reason").equalTo(DropReason.QUALITY_WARNING.label()), array_join(warned, ",")))
            .withColumn(PreparedCorpus.SOURCE_RECORD, col("`" + GlotccColumns.WARC_RECORD_ID + "`"))
            .withColumn("order", xxhash64(content))
            .withColumn(PreparedCorpus.RAW, to_json(struct(GlotccColumns.REQUIRED.stream().map(c -> col("`" + c + "`")).toArray(Column[]::new))))
            .withColumn(PreparedCorpus.TEXT, when(col("reason").isNull(), DOCUMENT.apply(content)))
            // once: input_file_name() is only defined in the scan's stage, and the dedup stages read this twice
            .persist(StorageLevel.MEMORY_AND_DISK());
    decoded = filtered;

    // Exact duplicates: the first record of each text, in a fixed order, is kept.
    WindowSpec sameText =
        Window.partitionBy(col(PreparedCorpus.LANGUAGE), col("key"))
            .orderBy(PreparedCorpus.SOURCE_FILE, PreparedCorpus.SOURCE_RECORD, "order");
    Dataset<Row> deduplicated =
        filtered
            .withColumn("key", when(col("reason").isNull(), DUPLICATE_KEY.apply(col(PreparedCorpus.TEXT))))
            .withColumn("occurrence", row_number().over(sameText))
            .withColumn("first_of_text", first(col(PreparedCorpus.SOURCE_RECORD)).over(sameText))
            .withColumn(
                "detail",
                when(col("reason").isNull().and(col("occurrence").gt(1)), concat(lit("same text as "), coalesce(col("first_of_text"), lit("?"))))
                    .otherwise(col("detail")))
            .withColumn(
                "reason",
                when(col("reason").isNull().and(col("occurrence").gt(1)), lit(DropReason.EXACT_DUPLICATE.label()))
                    .otherwise(col("reason")));

    Dataset<Row> withNear = nearDuplicateThreshold > 0 ? markNearDuplicates(deduplicated) : deduplicated;
    Dataset<Row> undecoded = undecodedRecords(spark, filtered);
    return withNear.select(
        col(PreparedCorpus.LANGUAGE),
        when(col("reason").isNull(), col(PreparedCorpus.TEXT)).as(PreparedCorpus.TEXT),
        col(PreparedCorpus.SOURCE_FILE),
        col(PreparedCorpus.SOURCE_RECORD),
        col("reason").as(PreparedCorpus.REASON),
        col("detail").as(PreparedCorpus.DETAIL),
        col(PreparedCorpus.RAW))
        .unionByName(undecoded);
  }

  /**
   * A malformed record for each record a shard's footer declares but Spark could not decode (it skips
   * the rest of a corrupt file rather than fail the job), so none goes uncounted.
   */
  private Dataset<Row> undecodedRecords(SparkSession spark, Dataset<Row> read) {
    Map<String, Long> decodedPerShard = new HashMap<>();
    for (Row row : read.groupBy(PreparedCorpus.SOURCE_FILE).count().collectAsList()) {
      decodedPerShard.put(new Path(row.getString(0)).toUri().getPath(), row.getLong(1));
    }
    Dataset<Row> undecoded = spark.createDataFrame(List.of(), PreparedCorpus.RECORD_SCHEMA);
    for (GlotccTree.Shard shard : tree.shards()) {
      long missing = shard.rows() - decodedPerShard.getOrDefault(new Path(shard.path()).toUri().getPath(), 0L);
      if (missing > 0) {
        LOG.warn("{} of {} records of {} could not be decoded; quarantined as malformed", missing, shard.rows(), shard.path());
        undecoded = undecoded.unionByName(
            spark.range(missing).select(
                lit(shard.language()).as(PreparedCorpus.LANGUAGE),
                lit(null).cast(DataTypes.StringType).as(PreparedCorpus.TEXT),
                lit(shard.path()).as(PreparedCorpus.SOURCE_FILE),
                lit(UNDECODABLE).as(PreparedCorpus.SOURCE_RECORD),
                lit(DropReason.MALFORMED.label()).as(PreparedCorpus.REASON),
                lit(missing + " of the shard's " + shard.rows() + " records could not be decoded").as(PreparedCorpus.DETAIL),
                lit(null).cast(DataTypes.StringType).as(PreparedCorpus.RAW)));
      }
    }
    return undecoded;
  }

  private Dataset<Row> markNearDuplicates(Dataset<Row> records) {
    Column rank = struct(col(PreparedCorpus.SOURCE_FILE), col(PreparedCorpus.SOURCE_RECORD), col("order"));
    Dataset<Row> candidates =
        records
            .where(col("reason").isNull())
            .select(
                rank.as("key"),
                col(PreparedCorpus.LANGUAGE).as("language"),
                col("key").as("text"),
                coalesce(col(PreparedCorpus.SOURCE_RECORD), lit("?")).as("label"))
            // LSH joins its input with itself three times: compute the window plan below it once
            .localCheckpoint();
    Dataset<Row> later = NearDuplicates.later(candidates, nearDuplicateThreshold, prep.seed());
    Column isNear = col("reason").isNull().and(col("near_key").isNotNull());
    return records
        .join(later, rank.equalTo(col("near_key")), "left")
        .withColumn(
            "detail",
            when(isNear, concat(lit("similar to "), col("similar_to"), lit(" (Jaccard "), format_number(col("similarity"), 3), lit(")")))
                .otherwise(col("detail")))
        .withColumn("reason", when(isNear, lit(DropReason.NEAR_DUPLICATE.label())).otherwise(col("reason")))
        .drop("near_key", "similar_to", "similarity");
  }

  /** Each unreadable shard as one malformed record of its language: its records cannot be counted. */
  private Dataset<Row> unreadableShards(SparkSession spark) {
    List<Row> rows = new ArrayList<>();
    for (GlotccTree.UnreadableShard shard : tree.unreadable()) {
      rows.add(RowFactory.create(shard.language(), null, shard.path(), UNREADABLE, DropReason.MALFORMED.label(), shard.problem(), null));
    }
    return spark.createDataFrame(rows, PreparedCorpus.RECORD_SCHEMA);
  }
}
