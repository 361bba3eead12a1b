package dev.adapterforge.bench;

import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.octet_length;
import static org.apache.spark.sql.functions.sum;

import dev.adapterforge.job.CommandRunner;
import dev.adapterforge.job.Range;
import dev.adapterforge.job.SparkJob;
import dev.adapterforge.prep.glotcc.GlotccColumns;
import dev.adapterforge.prep.glotcc.GlotccPrep;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Generates a GlotCC-V1 tree from real sentences, then times a plain Parquet scan of its text (the
 * ceiling for any job reading it) and prep-glotcc on it, in one Spark application.
 */
@Command(
    name = "prep-glotcc",
    description = "Times prep-glotcc against a plain Parquet scan on a generated GlotCC-V1 corpus; prints documents/s and MB/s per core.")
public final class PrepGlotccBench extends SparkJob {
  @Range(min = 1)
  @Option(names = "--size-mb", defaultValue = "200", description = "Corpus size in MB of text.")
  int sizeMb;

  @Range(min = 1)
  @Option(names = "--document-bytes", defaultValue = "1500", description = "Approximate size of a document.")
  int documentBytes;

  @Option(names = "--work", defaultValue = ".adapterforge/bench/prep-glotcc", paramLabel = "DIR", description = "Where the corpus and the job's output go.")
  Path work;

  @Mixin BenchInputs inputs;

  private BenchCorpus corpus;

  @Override
  protected void validate() {
    corpus = BenchCorpus.load(inputs.paragraphs);
  }

  @Override
  protected int run(SparkSession spark) {
    PrintWriter out = spec.commandLine().getOut();
    int cores = spark.sparkContext().defaultParallelism();
    Path tree = work.resolve("glotcc-" + sizeMb + "mb-" + inputs.seed).toAbsolutePath();
    long perLanguage = (long) sizeMb * 1_000_000 / documentBytes / corpus.languages().size();
    long started = System.nanoTime();
    for (String language : corpus.languages()) {
      BenchCorpus documents = corpus;
      int target = documentBytes;
      long corpusSeed = inputs.seed;
      spark.range(0, perLanguage, 1, Math.max(1, (int) (perLanguage * documentBytes / 50_000_000) + 1))
          .map(
              (MapFunction<Long, Row>) i -> GlotccColumns.shardRow(
                  language + "/" + i, documents.document(language, i, corpusSeed, target), language, List.of()),
              Encoders.row(GlotccColumns.SHARD_SCHEMA))
          .write()
          .mode("overwrite")
          .parquet(tree.resolve("v1.0").resolve(language).toString());
    }
    out.printf("Generated %d documents per language in %d languages under %s in %.1f s%n",
        perLanguage, corpus.languages().size(), tree, seconds(started));

    started = System.nanoTime();
    Row scan = spark.read().parquet(tree.resolve("v1.0").resolve("*").toString())
        .agg(count(lit(1)), sum(octet_length(org.apache.spark.sql.functions.col(GlotccColumns.CONTENT))))
        .first();
    double scanSeconds = seconds(started);
    long documents = scan.getLong(0);
    double megabytes = scan.getLong(1) / 1e6;

    started = System.nanoTime();
    int exit = CommandRunner.run(new GlotccPrep(),
        new String[] {"--input", tree.toString(), "--languages", "all", "--output", work.resolve("prepared").toString(),
            "--overwrite", "--base-model", inputs.baseModel, "--root", sparkOptions.root().toString()},
        out, spec.commandLine().getErr());
    double prepSeconds = seconds(started);
    if (exit != 0) {
      return exit;
    }
    out.printf("%n%-20s %10s %12s %10s %14s %12s%n", "", "seconds", "documents/s", "MB/s", "doc/s per core", "MB/s per core");
    print(out, "parquet scan", scanSeconds, documents, megabytes, cores);
    print(out, "prep-glotcc", prepSeconds, documents, megabytes, cores);
    out.printf("prep-glotcc runs at %.1f%% of the scan's speed (%d cores, %d documents, %.1f MB)%n",
        100 * scanSeconds / prepSeconds, cores, documents, megabytes);
    return 0;
  }

  static void print(PrintWriter out, String what, double seconds, long units, double megabytes, int cores) {
    out.printf("%-20s %10.1f %12.0f %10.2f %14.0f %12.2f%n",
        what, seconds, units / seconds, megabytes / seconds, units / seconds / cores, megabytes / seconds / cores);
  }

  static double seconds(long startedNanos) {
    return (System.nanoTime() - startedNanos) / 1e9;
  }
}
