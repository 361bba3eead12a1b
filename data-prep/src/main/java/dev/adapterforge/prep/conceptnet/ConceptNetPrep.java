package dev.adapterforge.prep.conceptnet;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import dev.adapterforge.job.SparkJob;
import dev.adapterforge.ops.tokenizer.TokenizerSpec;
import dev.adapterforge.prep.CorpusStats;
import dev.adapterforge.prep.DropReason;
import dev.adapterforge.prep.LanguageSelection;
import dev.adapterforge.prep.PrepOptions;
import dev.adapterforge.prep.PreparedCorpus;
import dev.adapterforge.prep.PrepReport;
import dev.adapterforge.prep.PreparedOutput;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.hadoop.io.LongWritable;
import org.apache.hadoop.io.Text;
import org.apache.hadoop.mapred.FileSplit;
import org.apache.hadoop.mapred.TextInputFormat;
import org.apache.spark.api.java.JavaHadoopRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import scala.collection.JavaConverters;

/**
 * {@code prep-conceptnet}: one pass over the assertions dump for any number of languages. An edge
 * belongs to the language of its start node; it becomes a sentence ({@link AssertionClassifier}),
 * and an edge whose sentence a line before it already gave is a {@code duplicate}.
 */
@Command(
    name = "prep-conceptnet",
    description = {
      "ConceptNet 5.7 assertions (.csv.gz, plain CSV or a folder of parts) to per-language knowledge",
      "sentences, split and tokenized for MLM: OUTPUT/text, tokens, quarantine, stats.json."
    })
public final class ConceptNetPrep extends SparkJob {
  private static final Logger LOG = LoggerFactory.getLogger(ConceptNetPrep.class);
  private static final Pattern LANGUAGE_CODE = Pattern.compile("[a-z]{2,3}(-[A-Za-z0-9]+)*");
  static final String INPUT_COUNT = "input_lines";

  @Option(names = "--input", required = true, paramLabel = "PATH", description = "The assertions dump: a file (gzip or plain) or a folder of parts; any Hadoop URI.")
  String input;

  @Option(
      names = "--languages",
      required = true,
      split = ",",
      splitSynopsisLabel = ",",
      paramLabel = "CODE|all",
      description = "ConceptNet language codes (mt, sw, yo, ...) or 'all'.")
  List<String> languages;

  @Option(
      names = "--templates",
      defaultValue = "paper",
      description = "How an edge becomes a sentence: ${COMPLETION-CANDIDATES}.")
  SentenceTemplates templates;

  @Mixin PrepOptions prep;

  private PreparedOutput output;
  private TokenizerSpec tokenizer;

  @Override
  protected void validate() {
    LanguageSelection.check(languages, LANGUAGE_CODE, "mt or sw");
    PrepOptions.Plan plan = prep.plan(input, sparkOptions.hadoopConfiguration());
    output = plan.output();
    tokenizer = plan.tokenizer();
  }

  @Override
  protected int run(SparkSession spark) {
    Set<String> requested = LanguageSelection.isAll(languages) ? null : new LinkedHashSet<>(languages);
    AssertionClassifier classifier = new AssertionClassifier(requested, templates);
    Dataset<Row> lines = readLines(spark, classifier).persist(StorageLevel.MEMORY_AND_DISK());
    try {
      Dataset<Row> splits = lines.where(col("kind").equalTo(AssertionLines.SPLIT));
      Row totals = splits.agg(sum("lines"), sum("not_requested")).first();
      long inputLines = totals.isNullAt(0) ? 0 : totals.getLong(0);
      long notRequested = totals.isNullAt(1) ? 0 : totals.getLong(1);

      Dataset<Row> classified = classify(lines, splits);
      long unattributed = classified.where(col(PreparedCorpus.LANGUAGE).isNull()).count();
      Map<String, Long> corpusTotals = new LinkedHashMap<>();
      corpusTotals.put(INPUT_COUNT, inputLines);
      corpusTotals.put("not_requested", notRequested);
      corpusTotals.put("malformed_unattributed", unattributed);

      Map<String, Object> run =
          prep.runSettings(spec.name(), input, tokenizer, Map.of("languages", languages, "templates", templates.name()));

      CorpusStats stats =
          PreparedCorpus.publish(spark, classified, prep, output, tokenizer, INPUT_COUNT, run, corpusTotals);
      long attributed = stats.languages().values().stream().mapToLong(CorpusStats.LanguageStats::input).sum();
      if (attributed + notRequested + unattributed != inputLines) {
        throw new IllegalStateException(
            "line accounting is off: " + inputLines + " lines read, " + attributed + " in requested languages + "
                + notRequested + " not requested + " + unattributed + " unattributed malformed");
      }
      report(stats, inputLines, notRequested, unattributed);
      return 0;
    } finally {
      lines.unpersist();
    }
  }

  /** Lines with their file, split and position in the split: Hadoop's own record reader, so .gz works. */
  private Dataset<Row> readLines(SparkSession spark, AssertionClassifier classifier) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    JavaHadoopRDD<LongWritable, Text> raw =
        (JavaHadoopRDD<LongWritable, Text>)
            jsc.hadoopFile(input, TextInputFormat.class, LongWritable.class, Text.class);
    JavaRDD<Row> rows = raw.mapPartitionsWithInputSplit(
        (split, records) -> new AssertionLines(classifier, (FileSplit) split, records), true);
    return spark.createDataFrame(rows, AssertionLines.SCHEMA);
  }

  /** Edge rows as {@link PreparedCorpus} records: 1-based line numbers within each file, duplicates marked. */
  private static Dataset<Row> classify(Dataset<Row> lines, Dataset<Row> splits) {
    Dataset<Row> firstLineOfSplit =
        splits.select(
            col("source_file"),
            col("split_start"),
            coalesce(
                    sum("lines").over(
                        Window.partitionBy("source_file").orderBy("split_start").rowsBetween(Window.unboundedPreceding(), -1)),
                    lit(0L))
                .as("lines_before"));
    Dataset<Row> edges =
        lines
            .where(col("kind").equalTo(AssertionLines.EDGE))
            .join(broadcast(firstLineOfSplit), JavaConverters.asScalaBuffer(List.of("source_file", "split_start")).toSeq())
            .withColumn("line", col("lines_before").plus(col("line_in_split")).plus(1));
    Dataset<Row> ranked =
        edges.withColumn(
            "occurrence",
            row_number().over(Window.partitionBy("language", "sentence").orderBy("source_file", "line")));
    return ranked.select(
        col("language").as(PreparedCorpus.LANGUAGE),
        col("sentence").as(PreparedCorpus.TEXT),
        col("term").as(PreparedCorpus.NATIVE_TEXT),
        col("source_file").as(PreparedCorpus.SOURCE_FILE),
        col("line").cast("string").as(PreparedCorpus.SOURCE_RECORD),
        when(col("reason").isNull().and(col("occurrence").gt(1)), lit(DropReason.DUPLICATE.label()))
            .otherwise(col("reason"))
            .as(PreparedCorpus.REASON),
        when(col("reason").isNull().and(col("occurrence").gt(1)), lit("same sentence as an earlier line"))
            .otherwise(col("detail"))
            .as(PreparedCorpus.DETAIL),
        col("raw").as(PreparedCorpus.RAW));
  }

  private void report(CorpusStats stats, long inputLines, long notRequested, long unattributed) {
    PrintWriter out = spec.commandLine().getOut();
    out.printf(
        "%s: %d lines read, %d in other languages, %d malformed without a language%n",
        spec.name(), inputLines, notRequested, unattributed);
    out.print(PrepReport.table(stats));
    out.printf("Published %s%n", output.target());
    LOG.info("prep-conceptnet published {}", output.target());
  }
}
