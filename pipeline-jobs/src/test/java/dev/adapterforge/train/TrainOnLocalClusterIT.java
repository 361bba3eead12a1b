package dev.adapterforge.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.adapterforge.cli.LauncherProcess;
import dev.adapterforge.job.SparkTestBase;
import dev.adapterforge.ops.adapters.AdapterArtifact;
import dev.adapterforge.ops.adapters.LoadedAdapter;
import dev.adapterforge.ops.checkpoint.Sha256;
import dev.adapterforge.ops.model.BaseModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code train} through bin/adapterforge: on two executor JVMs (local-cluster[2,1,1024]) with
 * parameter averaging, and killed and resumed.
 */
class TrainOnLocalClusterIT extends SparkTestBase {
  private static BaseModel model;
  private static Path data;

  @BeforeAll
  static void tinyModelAndData() throws IOException {
    model = TinyTrainingData.model(testRoot.resolve("tiny-bert"));
    data = testRoot.resolve("prepared");
    TinyTrainingData.prepared(spark, model, data, 200);
  }

  private static List<String> train(String master, Path output, String... extra) {
    List<String> command =
        new ArrayList<>(
            List.of(
                "train",
                "--master", master, "--conf", "spark.executor.memory=1024m",
                "--root", output.resolve("root").toString(),
                "--data", data.toString(),
                "--base-model", model.directory().toString(),
                "--method", "lora", "--lora-r", "4", "--lora-alpha", "8",
                "--lr", "1e-2", "--batch-size-per-worker", "8", "--averaging-frequency", "5", "--workers", "2",
                "--output", output.toString()));
    command.addAll(List.of(extra));
    if (!command.contains("--languages")) {
      command.addAll(List.of("--languages", TinyTrainingData.LANGUAGE));
    }
    return command;
  }

  @Test
  void trainsOnTwoExecutorJvmsSendingTheAdapterAloneAndPublishesEachLanguage() throws Exception {
    Path output = freshDirectory("cluster");
    String registry = output.resolve("registry").toUri().toString();
    String baseSha = Sha256.of(model.checkpointFile());
    start(
            train(
                "local-cluster[2,1,1024]", output, "--steps", "20", "--eval-every", "10", "--registry", registry,
                "--languages", TinyTrainingData.LANGUAGE + "," + TinyTrainingData.OTHER_LANGUAGE),
            output)
        .finish(6);

    List<String> rows = Files.readAllLines(output.resolve("xx-lora.run/training_log.csv"));
    assertEquals(5, rows.size(), "a header and one row per round: " + rows);
    // lora r=4 on query and value of 2 layers of width 8: 2 x 2 x (8x4 + 4x8) = 256 parameters,
    // sent with Adam's two moments as float: 3 x 256 x 4 bytes out, and back from each of 2 workers
    long roundsMillis = 0;
    long averagingMillis = 0;
    for (String row : rows.subList(1, rows.size())) {
      String[] fields = row.split(",");
      assertEquals(3072, Long.parseLong(fields[4]), row);
      assertEquals(2 * 3072, Long.parseLong(fields[5]), row);
      roundsMillis += Long.parseLong(fields[6]);
      averagingMillis += Long.parseLong(fields[7]);
    }
    // the workers' steps are timed on the executors, and the rest of the rounds is averaging's
    assertTrue(
        averagingMillis >= 0 && averagingMillis < 0.9 * roundsMillis,
        "training steps take a share of the rounds: " + rows);
    LoadedAdapter adapter = AdapterArtifact.read(output.resolve("xx-lora"), model);
    double before = adapter.lineage().metrics().get("mlm_loss_before");
    double after = adapter.lineage().metrics().get("mlm_loss");
    assertTrue(after < before - 0.05, "validation loss " + before + " -> " + after);
    assertEquals(baseSha, Sha256.of(model.checkpointFile()), "the base weights are untouched");
    assertTrue(Files.isRegularFile(output.resolve("xx-lora.run/training_curve.png")));

    // both languages trained in one application; each executor JVM read the base model once
    Path applications = LauncherProcess.PROJECT.resolve("pipeline-jobs/target/spark-home/work");
    Path application;
    try (Stream<Path> apps = Files.list(applications)) {
      application = apps.max(Comparator.comparing(TrainOnLocalClusterIT::modified)).orElseThrow();
    }
    try (Stream<Path> executors = Files.list(application)) {
      List<Long> loads =
          executors.map(executor -> Files.exists(executor.resolve("stderr")) ? countLoads(executor.resolve("stderr")) : -1L).toList();
      assertEquals(List.of(1L, 1L), loads, "frozen-weight loads per executor JVM of " + application);
    }

    List<Row> published =
        spark.read().format("delta").load(registry + "/table").orderBy("name").collectAsList();
    assertEquals(List.of("xx-lora", "yy-lora"), published.stream().map(r -> r.<String>getAs("name")).toList());
    for (Row row : published) {
      assertEquals("lora", row.getAs("method"));
      assertEquals(model.checkpointSha256(), row.getAs("base_model_sha256"));
    }
  }

  @Test
  void aKilledRunResumesToTheSameAdapter() throws Exception {
    Path straight = freshDirectory("straight");
    start(train("local[2]", straight, "--steps", "30", "--eval-every", "5"), straight).finish(6);

    Path killed = freshDirectory("killed");
    LauncherProcess driver = start(train("local[2]", killed, "--steps", "30", "--eval-every", "5"), killed);
    Path state = killed.resolve("xx-lora.run/checkpoint/state.json");
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
    while (!(Files.isRegularFile(state) && new ObjectMapper().readTree(state.toFile()).path("round").asInt() >= 2)) {
      assertTrue(driver.isAlive() && System.nanoTime() < deadline, "no second checkpoint:\n" + driver.tail());
      Thread.sleep(200);
    }
    driver.kill();
    assertTrue(!Files.exists(killed.resolve("xx-lora")), "a killed run leaves no adapter");

    start(train("local[2]", killed, "--steps", "30", "--eval-every", "5", "--resume"), killed).finish(6);

    LoadedAdapter expected = AdapterArtifact.read(straight.resolve("xx-lora"), model);
    LoadedAdapter resumed = AdapterArtifact.read(killed.resolve("xx-lora"), model);
    assertEquals(expected.lineage().metrics().get("mlm_loss"), resumed.lineage().metrics().get("mlm_loss"), 1e-4);
    expected.parameters().forEach((name, value) ->
        assertEquals(0, value.sub(resumed.parameters().get(name)).amaxNumber().doubleValue(), 1e-4, name));
    List<String> steps =
        Files.readAllLines(killed.resolve("xx-lora.run/training_log.csv")).stream().skip(1).map(l -> l.split(",")[0]).toList();
    assertEquals(List.of("5", "10", "15", "20", "25", "30"), steps, "one row per round, none twice");
  }

  /**
   * LT-SFT on the executors: phase 1's dense differences averaged, the mask chosen on the driver and
   * read by every executor from its file, phase 2's sparse values the only traffic.
   */
  @Test
  void trainsLtSftWithTheMaskReadByEveryExecutor() throws Exception {
    Path output = freshDirectory("lt-sft");
    List<String> command =
        train("local-cluster[2,1,1024]", output, "--steps", "10", "--eval-every", "10", "--ft-params-proportion", "0.1");
    command.set(command.indexOf("lora"), "lt_sft");
    start(command, output).finish(6);

    // the targeted weights of 2 layers: 4 of 8x8, 8x16 and 16x8 each, 1,024 entries; 10% kept
    JsonNode block =
        new ObjectMapper().readTree(output.resolve("xx-lt_sft/adapter_config.json").toFile()).path("adapterforge");
    assertEquals(102, block.path("parameters").asLong());
    List<String> phase2 = Files.readAllLines(output.resolve("xx-lt_sft.run/training_log.csv"));
    assertEquals(102 * 3 * 4, Long.parseLong(phase2.get(1).split(",")[4]), phase2.toString());
    List<String> phase1 = Files.readAllLines(output.resolve("xx-lt_sft.run/phase1_training_log.csv"));
    assertEquals(1024 * 3 * 4, Long.parseLong(phase1.get(1).split(",")[4]), phase1.toString());
    assertTrue(AdapterArtifact.read(output.resolve("xx-lt_sft"), model).parameters().size() > 0);
  }

  /** An executor JVM killed mid-training: Spark reruns its task elsewhere and training completes. */
  @Test
  void survivesTheLossOfAnExecutor() throws Exception {
    Path output = freshDirectory("executor-lost");
    LauncherProcess driver = start(train("local-cluster[2,1,1024]", output, "--steps", "30", "--eval-every", "30"), output);
    Path log = output.resolve("driver.log");
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
    while (!Files.readString(log).contains("round 2/6")) {
      assertTrue(driver.isAlive() && System.nanoTime() < deadline, "no second round:\n" + driver.tail());
      Thread.sleep(200);
    }
    ProcessHandle executor =
        driver.process().descendants()
            .filter(p -> p.info().commandLine().orElse("").contains("CoarseGrainedExecutorBackend"))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no executor JVM under the driver"));
    executor.destroyForcibly();

    driver.finish(6);
    List<String> steps =
        Files.readAllLines(output.resolve("xx-lora.run/training_log.csv")).stream().skip(1).map(l -> l.split(",")[0]).toList();
    assertEquals(List.of("5", "10", "15", "20", "25", "30"), steps);
    assertTrue(Files.isRegularFile(output.resolve("xx-lora/adapter_config.json")));
  }

  private static long countLoads(Path stderr) {
    try (Stream<String> lines = Files.lines(stderr)) {
      return lines.filter(line -> line.contains("frozen weights")).count();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static FileTime modified(Path path) {
    try {
      return Files.getLastModifiedTime(path);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static LauncherProcess start(List<String> args, Path output) throws IOException {
    return LauncherProcess.start(output.resolve("driver.log"), args);
  }
}
