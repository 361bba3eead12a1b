package dev.adapterforge.pipeline;

import dev.adapterforge.ops.encoder.TinyModel;
import dev.adapterforge.prep.glotcc.GlotccColumns;
import dev.adapterforge.prep.glotcc.GlotccSampleTree;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/** A tiny BERT, GlotCC shards of letter runs it can learn, and a pipeline config over both: the pipeline tests' world. */
record TinyPipeline(Path model) {
  static TinyPipeline model(Path directory) throws IOException {
    TinyModel.write(
        directory, TinyModel.BERT, TinyModel.huggingFaceWeights(TinyModel.tensorFlowWeights(TinyModel.BERT, 5), false));
    return new TinyPipeline(directory);
  }

  /** A config file running the pipeline on GlotCC shards under {@code corpus} into {@code root}; {@code languages} in HOCON, e.g. {@code [aaa-Latn]}. */
  Path conf(Path root, Path corpus, String languages) throws IOException {
    return conf(root, "glotcc", String.format("""
        prep-glotcc {
          input = "%s", languages = %s, output = "%s"
          max-length = 16, near-duplicate-threshold = 0
        }
        """, corpus, languages, root.resolve("prepared")));
  }

  /** A config file running the pipeline on one ConceptNet assertions file into {@code root}. */
  Path conceptNetConf(Path root, Path assertions, String languages) throws IOException {
    return conf(root, "conceptnet", String.format("""
        prep-conceptnet { input = "%s", languages = %s, output = "%s", max-length = 16 }
        """, assertions, languages, root.resolve("prepared-conceptnet")));
  }

  private Path conf(Path root, String source, String prepSection) throws IOException {
    Path conf = root.resolve("pipeline.conf");
    Files.writeString(conf, String.format("""
        pipeline { sources = [%s], base-model = "%s" }
        %s
        train {
          method = lora, steps = 2, lr = 1e-2, averaging-frequency = 1, batch-size-per-worker = 4
          eval-every = 1, eval-sequences = 8, workers = 2
        }
        evaluate-mlm { max-sequences = 8, pseudo-perplexity-sequences = 2 }
        """, source, model, prepSection));
    return conf;
  }

  /** ConceptNet assertion lines of {@code language} relating single letters, the tiny vocabulary's only words. */
  static void assertions(Path file, String language, int lines, long seed) throws IOException {
    Random random = new Random(seed);
    List<String> letters = TinyModel.VOCABULARY.subList(5, TinyModel.VOCABULARY.size());
    List<String> rows = new ArrayList<>();
    for (int i = 0; i < lines; i++) {
      String start = "/c/" + language + "/" + letters.get(i % letters.size());
      String end = "/c/" + language + "/" + letters.get((i / letters.size() + 1 + random.nextInt(3)) % letters.size());
      String relation = List.of("/r/IsA", "/r/PartOf", "/r/RelatedTo").get(random.nextInt(3));
      rows.add(String.join("\t", "/a/[" + relation + "/," + start + "/," + end + "/]", relation, start, end, "{\"weight\": 1.0}"));
    }
    Files.createDirectories(file.getParent());
    Files.write(file, rows);
  }

  /** {@code documents} texts of two runs of 3 to 6 consecutive letters, as one GlotCC shard of {@code language}. */
  static void shard(SparkSession spark, Path corpus, String language, int documents, long seed) throws IOException {
    shard(spark, corpus, language, documents, seed, false);
  }

  /** The same documents, in reverse order when {@code reversed}. */
  static void shard(SparkSession spark, Path corpus, String language, int documents, long seed, boolean reversed) throws IOException {
    Random random = new Random(seed);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < documents; i++) {
      String text = letters(random) + " " + letters(random);
      rows.add(GlotccColumns.shardRow(language + "/" + i, text, language, List.of()));
    }
    if (reversed) {
      Collections.reverse(rows);
    }
    GlotccSampleTree.writeShard(spark, rows, corpus.resolve("v1.0").resolve(language).resolve(language + "_0.parquet"));
  }

  private static String letters(Random random) {
    int start = 5 + random.nextInt(9);
    int end = Math.min(start + 3 + random.nextInt(4), TinyModel.VOCABULARY.size());
    return String.join(" ", TinyModel.VOCABULARY.subList(start, end));
  }
}
