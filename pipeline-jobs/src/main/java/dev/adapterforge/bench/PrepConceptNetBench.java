package dev.adapterforge.bench;

import dev.adapterforge.job.CommandRunner;
import dev.adapterforge.job.Range;
import dev.adapterforge.job.SparkJob;
import dev.adapterforge.prep.conceptnet.ConceptNetPrep;
import dev.adapterforge.prep.conceptnet.RelationTemplates;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Generates a ConceptNet assertions dump (folder of plain parts) whose terms are real words, then
 * times a plain text scan of it (the ceiling) and prep-conceptnet on it.
 */
@Command(
    name = "prep-conceptnet",
    description = "Times prep-conceptnet against a plain text scan on a generated assertions dump; prints lines/s per core.")
public final class PrepConceptNetBench extends SparkJob {
  // GlotCC folders of the bench sentences and their ConceptNet codes
  private static final Map<String, String> CODES = Map.of("sun-Latn", "su", "yor-Latn", "yo", "swh-Latn", "sw", "amh-Ethi", "am");
  private static final List<String> RELATIONS = RelationTemplates.relations();

  @Range(min = 1)
  @Option(names = "--lines", defaultValue = "1000000", description = "Lines in the generated dump.")
  long lines;

  @Range(min = 0, max = 1)
  @Option(names = "--requested-share", defaultValue = "0.3", description = "Share of lines in the requested languages; the rest are English.")
  double requestedShare;

  @Option(names = "--work", defaultValue = ".adapterforge/bench/prep-conceptnet", paramLabel = "DIR", description = "Where the dump and the job's output go.")
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
    Path dump = work.resolve("assertions-" + lines + "-" + inputs.seed).toAbsolutePath();
    BenchCorpus words = corpus;
    List<String> folders = corpus.languages();
    long dumpSeed = inputs.seed;
    double share = requestedShare;
    long started = System.nanoTime();
    spark.range(0, lines, 1, Math.max(2, (int) (lines / 250_000)))
        .map((MapFunction<Long, String>) i -> line(words, folders, i, dumpSeed, share), Encoders.STRING())
        .write()
        .mode("overwrite")
        .text(dump.toString());
    out.printf("Generated %d lines under %s in %.1f s%n", lines, dump, PrepGlotccBench.seconds(started));

    started = System.nanoTime();
    long scanned = spark.read().text(dump.toString()).count();
    double scanSeconds = PrepGlotccBench.seconds(started);
    double megabytes = spark.read().text(dump.toString()).selectExpr("sum(octet_length(value)) + count(1)").first().getLong(0) / 1e6;

    started = System.nanoTime();
    String languages = String.join(",", folders.stream().map(CODES::get).toList());
    int exit = CommandRunner.run(new ConceptNetPrep(),
        new String[] {"--input", dump.toString(), "--languages", languages, "--output", work.resolve("prepared").toString(),
            "--overwrite", "--base-model", inputs.baseModel, "--root", sparkOptions.root().toString()},
        out, spec.commandLine().getErr());
    double prepSeconds = PrepGlotccBench.seconds(started);
    if (exit != 0) {
      return exit;
    }
    out.printf("%n%-20s %10s %12s %10s %14s %12s%n", "", "seconds", "lines/s", "MB/s", "lines/s per core", "MB/s per core");
    PrepGlotccBench.print(out, "text scan", scanSeconds, scanned, megabytes, cores);
    PrepGlotccBench.print(out, "prep-conceptnet", prepSeconds, scanned, megabytes, cores);
    out.printf("prep-conceptnet runs at %.1f%% of the scan's speed (%d cores, %d lines, %.1f MB)%n",
        100 * scanSeconds / prepSeconds, cores, scanned, megabytes);
    return 0;
  }

  /** Line {@code i} of the dump: an edge between two real words, of a requested language or English. */
  private static String line(BenchCorpus words, List<String> folders, long i, long seed, double requestedShare) {
    SplittableRandom random = new SplittableRandom(seed * 7919 + i);
    String folder = folders.get(random.nextInt(folders.size()));
    String language = random.nextDouble() < requestedShare ? CODES.get(folder) : "en";
    String[] sentence = words.document(folder, 3 + random.nextInt(1000), seed, 200).split("[\\s\\p{P}]+");
    String start = sentence[random.nextInt(sentence.length)];
    String end = sentence[random.nextInt(sentence.length)];
    String relation = "/r/" + RELATIONS.get(random.nextInt(RELATIONS.size()));
    String startUri = "/c/" + language + "/" + (start.isEmpty() ? "x" : start.toLowerCase()) + "/n";
    String endUri = "/c/" + language + "/" + (end.isEmpty() ? "y" : end.toLowerCase());
    return "/a/[" + relation + "/," + startUri + "/," + endUri + "/]\t" + relation + "\t" + startUri + "\t" + endUri
        + "\t{\"dataset\": \"/d/wiktionary/en\", \"license\": \"cc:by-sa/4.0\", \"sources\": [{\"contributor\": "
        + "\"/s/resource/wiktionary/en\", \"process\": \"/s/process/wikiparsec/2\"}], \"weight\": 1.0}";
  }
}
