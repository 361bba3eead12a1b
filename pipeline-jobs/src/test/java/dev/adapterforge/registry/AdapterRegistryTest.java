package dev.adapterforge.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adapterforge.cli.AdapterForge;
import dev.adapterforge.job.CommandRun;
import dev.adapterforge.job.SparkTestBase;
import dev.adapterforge.job.UsageException;
import dev.adapterforge.ops.checkpoint.SafetensorsWriter;
import dev.adapterforge.ops.checkpoint.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/** The registry on a real Delta table on disk, with real safetensors artifacts. */
class AdapterRegistryTest extends SparkTestBase {
  private static int artifacts;

  /** An artifact folder as the adapters write it: adapter_config.json and safetensors weights. */
  static Path artifact(String language, float seed) throws IOException {
    return artifact(language, seed, null);
  }

  /** @param name the registry name the artifact asks for ({@code adapterforge.name}), or null */
  static Path artifact(String language, float seed, String name) throws IOException {
    Path dir = freshDirectory("artifact-" + artifacts++);
    float[] down = new float[48 * 3];
    for (int i = 0; i < down.length; i++) {
      down[i] = seed + i / 100f;
    }
    SafetensorsWriter.write(
        dir.resolve("adapter_model.safetensors"),
        List.of(Tensor.ofFloats("bert.encoder.layer.0.output.adapters.lang.adapter_down.0.weight", new long[] {3, 48}, down)),
        Map.of("format", "pt"));
    Files.writeString(dir.resolve("adapter_config.json"), """
        {"config": {"architecture": "seq_bn", "reduction_factor": 16},
         "adapterforge": {"language": "%s", "script": "Latn", "method": "seq_bn",
           "hyperparameters": {"reduction_factor": 16, "lr": 0.0001},
           "base_model": {"id": "mbert", "sha256": "1ee436df"}, "tokenizer_sha256": "e4c3cf82",
           "data": {"inputs": ["prepared/glotcc"], "content_hash": "abc", "seed": 42},
           "metrics": {"mlm_loss": 2.5, "steps": 100}%s}}
        """.formatted(language, name == null ? "" : ", \"name\": \"" + name + "\""));
    return dir;
  }

  private AdapterRegistry fresh() throws IOException {
    return AdapterRegistry.at(spark, freshDirectory("registry").toString());
  }

  private record Published(long version, boolean created) {}

  private static Published publishOnce(AdapterRegistry registry, Path artifact) {
    AdapterRegistry.Published p = registry.publish(ArtifactManifest.read(artifact), "sun-Latn-seq_bn", Stage.candidate, "test");
    return new Published(p.version(), p.created());
  }

  @Test
  void republishingTheSameContentIsANoOpAndNewContentIsTheNextVersion() throws IOException {
    AdapterRegistry registry = fresh();
    Path first = artifact("sun-Latn", 0.1f);
    assertEquals(new Published(1, true), publishOnce(registry, first));
    assertEquals(new Published(1, false), publishOnce(registry, first));
    assertEquals(new Published(2, true), publishOnce(registry, artifact("sun-Latn", 0.2f)));

    List<Row> rows = registry.rows().orderBy("version").collectAsList();
    assertEquals(2, rows.size());
    Row row = rows.get(0);
    assertEquals("sun-Latn", row.getAs("language"));
    assertEquals("mbert", row.getAs("base_model_id"));
    assertEquals(2.5, row.<scala.collection.Map<String, Double>>getAs("metrics").apply("mlm_loss"));
    assertEquals("candidate", row.getAs("stage"));
    assertEquals(ArtifactManifest.read(first).contentHash(), row.getAs("content_hash"));
  }

  @Test
  void promoteArchivesThePreviousProductionVersionInOneCommitAndTimeTravelSeesTheOldState() throws IOException {
    AdapterRegistry registry = fresh();
    publishOnce(registry, artifact("sun-Latn", 0.1f));
    publishOnce(registry, artifact("sun-Latn", 0.2f));
    registry.promote("sun-Latn-seq_bn", 1);
    long beforeSecondPromotion = registry.history().agg(org.apache.spark.sql.functions.max("version")).first().getLong(0);
    registry.promote("sun-Latn-seq_bn", 2);

    assertEquals(Map.of(1L, "archived", 2L, "production"), stages(registry.rows()));
    assertEquals(Map.of(1L, "production", 2L, "candidate"), stages(registry.rows(Long.toString(beforeSecondPromotion))));
    assertEquals("UPDATE", registry.history().orderBy(org.apache.spark.sql.functions.col("version").desc()).first().getAs("operation"));
    assertThrows(UsageException.class, () -> registry.promote("sun-Latn-seq_bn", 9));

    registry.promote("sun-Latn-seq_bn", 1); // rollback
    assertEquals(Map.of(1L, "production", 2L, "archived"), stages(registry.rows()));
  }

  private static Map<Long, String> stages(org.apache.spark.sql.Dataset<Row> rows) {
    return rows.collectAsList().stream().collect(Collectors.toMap(r -> r.<Long>getAs("version"), r -> r.<String>getAs("stage")));
  }

  @Test
  void getVerifiesEveryFileAgainstTheRegistry() throws IOException {
    AdapterRegistry registry = fresh();
    Path original = artifact("sun-Latn", 0.3f);
    AdapterRegistry.Published published = registry.publish(ArtifactManifest.read(original), "sun-Latn-seq_bn", Stage.production, "test");

    Path downloaded = freshDirectory("download").resolve("adapter");
    registry.download(registry.resolve("sun-Latn-seq_bn", null, Stage.production), downloaded);
    assertEquals(ArtifactManifest.read(original).contentHash(), ArtifactManifest.read(downloaded).contentHash());

    Path stored = Path.of(java.net.URI.create(published.artifactUri())).resolve("adapter_model.safetensors");
    Files.write(stored, new byte[] {1, 2, 3});
    Path again = freshDirectory("again").resolve("adapter");
    UsageException corrupt = assertThrows(UsageException.class, () -> registry.download(registry.resolve("sun-Latn-seq_bn", 1L, null), again));
    assertFalse(Files.exists(again), "nothing half-downloaded");
    assertTrue(corrupt.getMessage().contains("adapter_model.safetensors of sun-Latn-seq_bn version 1 is corrupt"), corrupt.getMessage());

    // without Hadoop's own .crc beside it (object stores have none), the recorded SHA-256 catches it
    Files.delete(stored.resolveSibling(".adapter_model.safetensors.crc"));
    UsageException mismatch =
        assertThrows(UsageException.class, () -> registry.download(registry.resolve("sun-Latn-seq_bn", 1L, null), again));
    assertTrue(mismatch.getMessage().contains("has SHA-256"), mismatch.getMessage());
  }

  @Test
  void filesStoredByACrashedPublishAreInvisibleAndReused() throws IOException {
    AdapterRegistry registry = fresh();
    Path artifact = artifact("yor-Latn", 0.4f);
    ArtifactManifest manifest = ArtifactManifest.read(artifact);
    // a publisher that died after copying: the files are there under their content hash, no row is
    Path registryRoot = Path.of(java.net.URI.create(registry.tablePath())).getParent();
    Path orphan = Files.createDirectories(registryRoot.resolve("artifacts/yor-Latn-seq_bn").resolve(manifest.contentHash()));
    for (ArtifactManifest.ArtifactFile file : manifest.files()) {
      Files.copy(artifact.resolve(file.path()), orphan.resolve(file.path()));
    }
    assertTrue(registry.rows().isEmpty());

    AdapterRegistry.Published published = registry.publish(manifest, "yor-Latn-seq_bn", Stage.candidate, "test");
    assertEquals(1, published.version());
    assertEquals(orphan.toUri().toString().replaceAll("/$", ""), published.artifactUri().replace("file:/", "file:///").replaceAll("/$", ""));
  }

  @Test
  void concurrentPublishersBothSucceedWithDistinctVersions() throws Exception {
    AdapterRegistry registry = fresh();
    List<Path> folders = List.of(artifact("sun-Latn", 0.5f), artifact("sun-Latn", 0.6f), artifact("sun-Latn", 0.7f));
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      List<Callable<AdapterRegistry.Published>> publishes = new ArrayList<>();
      for (Path folder : folders) {
        publishes.add(() -> registry.publish(ArtifactManifest.read(folder), "sun-Latn-seq_bn", Stage.candidate, "test"));
      }
      Set<Long> versions = new TreeSet<>();
      for (Future<AdapterRegistry.Published> f : pool.invokeAll(publishes)) {
        versions.add(f.get().version());
      }
      assertEquals(Set.of(1L, 2L, 3L), versions);
    } finally {
      pool.shutdown();
    }
    assertEquals(3, registry.rows().count());
    assertEquals(3, registry.rows().select("version").distinct().count());
  }

  @Test
  void cliPublishesListsAndRefusesBadArtifactsInOneLine() throws IOException {
    String registryUri = freshDirectory("cli-registry").toString();
    Path artifact = artifact("amh-Ethi", 0.8f);
    CommandRun published = CommandRun.of(new AdapterForge(), "publish", "--artifact", artifact.toString(), "--registry", registryUri, "--root", testRoot.toString());
    assertEquals(0, published.exitCode(), published.toString());
    assertTrue(published.out().contains("Published amh-Ethi-seq_bn version 1"), published.toString());

    CommandRun list = CommandRun.of(new AdapterForge(), "registry", "list", "--registry", registryUri, "--root", testRoot.toString());
    assertEquals(0, list.exitCode(), list.toString());
    assertTrue(list.out().contains("amh-Ethi-seq_bn") && list.out().contains("candidate"), list.toString());

    Path empty = freshDirectory("not-an-artifact");
    CommandRun refused = CommandRun.of(new AdapterForge(), "publish", "--artifact", empty.toString(), "--registry", registryUri, "--root", testRoot.toString());
    assertEquals(2, refused.exitCode(), refused.toString());
    assertTrue(refused.err().contains("has no adapter_config.json"), refused.toString());
    assertFalse(refused.err().strip().contains("\n"));

    CommandRun unknown = CommandRun.of(new AdapterForge(), "registry", "get", "nope", "--version", "3", "--to", freshDirectory("x").resolve("y").toString(), "--registry", registryUri, "--root", testRoot.toString());
    assertEquals(2, unknown.exitCode(), unknown.toString());
    assertTrue(unknown.err().contains("no nope version 3"), unknown.toString());

    CommandRun promote = CommandRun.of(new AdapterForge(), "registry", "promote", "amh-Ethi-seq_bn", "--version", "7", "--registry", registryUri, "--root", testRoot.toString());
    assertEquals(2, promote.exitCode(), promote.toString());
    assertEquals(
        "adapterforge registry promote: amh-Ethi-seq_bn has no version 7 (see 'adapterforge registry promote --help')",
        promote.err().strip());
  }

  /** The names that would climb out of the registry or nest folders, from the artifact or --name. */
  @Test
  void aNameThatIsNotOneFolderNameIsRefusedAndNothingIsWritten() throws IOException {
    Path registryRoot = freshDirectory("guarded").resolve("registry");
    Path escaping = artifact("sun-Latn", 0.3f, "../../escaped");
    CommandRun fromConfig = CommandRun.of(new AdapterForge(), "publish", "--artifact", escaping.toString(), "--registry", registryRoot.toString(), "--root", testRoot.toString());
    assertEquals(2, fromConfig.exitCode(), fromConfig.toString());
    assertTrue(fromConfig.err().contains("adapterforge.name: '../../escaped' is not a registry name"), fromConfig.toString());
    for (String name : List.of("a/b", "..", ".hidden", "", "x".repeat(RegistryName.MAX_LENGTH + 1), "tab\tname")) {
      CommandRun refused = CommandRun.of(new AdapterForge(), "publish", "--artifact", artifact("sun-Latn", 0.4f).toString(), "--name", name, "--registry", registryRoot.toString(), "--root", testRoot.toString());
      assertEquals(2, refused.exitCode(), name + ": " + refused);
      assertEquals(1, refused.err().strip().lines().count(), refused.toString());
    }
    assertFalse(Files.exists(registryRoot), "nothing written");
    assertFalse(Files.exists(registryRoot.getParent().getParent().resolve("escaped")), "nothing written outside");

    AdapterRegistry registry = AdapterRegistry.at(spark, registryRoot.toString());
    assertThrows(UsageException.class, () -> registry.publish(ArtifactManifest.read(escaping), "../../escaped", Stage.candidate, "test"));
    assertThrows(UsageException.class, () -> registry.resolve("../x", 1L, Stage.production));
    assertEquals(1, registry.publish(ArtifactManifest.read(artifact("sun-Latn", 0.5f)), "sun-Latn.v2_final-1", Stage.candidate, "test").version());
  }

  @Test
  void anArtifactWithANonFiniteWeightIsNotPublished() throws IOException {
    Path poisoned = artifact("sun-Latn", Float.NaN);
    CommandRun refused = CommandRun.of(new AdapterForge(), "publish", "--artifact", poisoned.toString(), "--registry", freshDirectory("poisoned").toString(), "--root", testRoot.toString());
    assertEquals(2, refused.exitCode(), refused.toString());
    assertTrue(refused.err().contains("adapter_model.safetensors: tensor bert.encoder.layer.0.output.adapters.lang.adapter_down.0.weight holds NaN"), refused.toString());
  }
}
