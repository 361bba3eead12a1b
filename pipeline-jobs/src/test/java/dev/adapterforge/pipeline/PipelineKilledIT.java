package dev.adapterforge.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.adapterforge.cli.LauncherProcess;
import dev.adapterforge.job.SparkTestBase;
import dev.adapterforge.registry.AdapterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/**
 * {@code bin/adapterforge pipeline} killed (SIGKILL) once its first language is trained, then run
 * again as a scheduler's retry would: the second run keeps what the first finished, completes the
 * rest, and the registry holds each adapter once.
 */
class PipelineKilledIT extends SparkTestBase {
  private static final List<String> LANGUAGES = List.of("aaa-Latn", "bbb-Latn");

  @Test
  void aRunKilledMidWayIsFinishedByTheNextWithoutDuplicates() throws Exception {
    TinyPipeline tiny = TinyPipeline.model(testRoot.resolve("tiny-bert"));
    Path root = freshDirectory("killed");
    Path corpus = root.resolve("glotcc");
    for (int i = 0; i < LANGUAGES.size(); i++) {
      TinyPipeline.shard(spark, corpus, LANGUAGES.get(i), 60, i + 1);
    }
    List<String> args =
        List.of("pipeline", "--conf", tiny.conf(root, corpus, "[aaa-Latn, bbb-Latn]").toString(), "--root", root.toString(), "--master", "local[2]");

    LauncherProcess killed = LauncherProcess.start(root.resolve("killed.log"), args);
    Path firstTrained = root.resolve("pipeline/ledger/train/glotcc/aaa-Latn.json");
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (!Files.isRegularFile(firstTrained)) {
      assertTrue(killed.isAlive() && System.nanoTime() < deadline, "aaa-Latn was never trained:\n" + killed.tail());
      Thread.sleep(100);
    }
    killed.kill();
    Path firstArtifact = Path.of(new ObjectMapper().readTree(firstTrained.toFile()).path("result").path("artifact").asText());
    FileTime trainedAt = Files.getLastModifiedTime(firstArtifact);

    LauncherProcess retry = LauncherProcess.start(root.resolve("retry.log"), args);
    retry.finish(8);
    String log = Files.readString(root.resolve("retry.log"));
    assertEquals(trainedAt, Files.getLastModifiedTime(firstArtifact), "aaa-Latn was trained again:\n" + retry.tail());
    assertTrue(log.contains("corpus and settings unchanged since the last prep"), retry.tail());

    List<Row> rows =
        AdapterRegistry.at(spark, root.resolve("registry").toString()).rows().select("name", "version").orderBy("name").collectAsList();
    assertEquals(List.of("aaa-Latn-lora 1", "bbb-Latn-lora 1"), rows.stream().map(r -> r.getString(0) + " " + r.getLong(1)).toList());

    // a third run has nothing to do
    LauncherProcess idle = LauncherProcess.start(root.resolve("idle.log"), args);
    idle.finish(4);
    String summary = Files.readString(root.resolve("idle.log"));
    for (String language : LANGUAGES) {
      assertTrue(summary.lines().anyMatch(line -> line.startsWith(language + " ") && line.endsWith("unchanged")), summary);
    }
    assertEquals(2, AdapterRegistry.at(spark, root.resolve("registry").toString()).rows().count());
  }
}
