package dev.adapterforge.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.adapterforge.job.SparkTestBase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/** Two bin/adapterforge processes publish to one registry table at once: both land, versions distinct. */
class RegistryConcurrentProcessesIT extends SparkTestBase {
  private static final Path PROJECT = Path.of(System.getProperty("adapterforge.project.dir"));

  @Test
  void twoPublisherProcessesBothCommitWithoutDuplicateVersions() throws Exception {
    Path registry = freshDirectory("registry");
    List<Process> publishers = new ArrayList<>();
    List<Path> logs = new ArrayList<>();
    for (float seed : new float[] {0.11f, 0.22f}) {
      Path artifact = AdapterRegistryTest.artifact("swh-Latn", seed);
      Path log = registry.resolveSibling(registry.getFileName() + "-publisher-" + publishers.size() + ".log");
      logs.add(log);
      ProcessBuilder builder = new ProcessBuilder(
          PROJECT.resolve("bin/adapterforge").toString(), "publish", "--artifact", artifact.toString(),
          "--registry", registry.toString(), "--master", "local[1]", "--root", freshDirectory("root").toString());
      builder.environment().put("ADAPTERFORGE_NO_BUILD", "1");
      publishers.add(builder.redirectErrorStream(true).redirectOutput(log.toFile()).start());
    }
    for (int i = 0; i < publishers.size(); i++) {
      Process publisher = publishers.get(i);
      if (!publisher.waitFor(5, TimeUnit.MINUTES)) {
        publisher.destroyForcibly();
      }
      assertEquals(0, publisher.exitValue(), Files.readString(logs.get(i)));
    }
    List<Row> rows = spark.read().format("delta").load(registry.resolve("table").toString()).collectAsList();
    Set<Long> versions = new TreeSet<>();
    rows.forEach(r -> versions.add(r.getAs("version")));
    assertEquals(2, rows.size());
    assertEquals(Set.of(1L, 2L), versions);
  }
}
