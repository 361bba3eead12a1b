package dev.adapterforge.registry;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.when;

import dev.adapterforge.job.UsageException;
import dev.adapterforge.ops.checkpoint.Sha256;
import io.delta.tables.DeltaTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ConcurrentModificationException;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import org.apache.hadoop.fs.ChecksumException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.collection.JavaConverters;

/**
 * A registry at a Hadoop URI: the Delta table under {@code table/} (any Delta reader can query it)
 * and each artifact's files under {@code artifacts/<name>/<content hash>/}.
 *
 * <p>Publishing copies the files first, into a content-addressed folder that a rename completes, then
 * adds the row in one MERGE keyed by name and content hash: the same artifact twice is one row, and a
 * crash between copy and commit leaves only files no row points to, which the next publish of that
 * content reuses. Concurrent writers conflict inside Delta and retry with a fresh version number.
 */
public final class AdapterRegistry {
  private static final Logger LOG = LoggerFactory.getLogger(AdapterRegistry.class);
  private static final int ATTEMPTS = 10;
  private static final String TABLE_NOT_FOUND = "DELTA_TABLE_NOT_FOUND";

  /** What a publish did: the row's name and version, and whether this call created it. */
  public record Published(String name, long version, boolean created, String artifactUri) {}

  private final SparkSession spark;
  private final org.apache.hadoop.fs.Path root;
  private final FileSystem fs;
  private volatile boolean tableExists;

  private AdapterRegistry(SparkSession spark, org.apache.hadoop.fs.Path root, FileSystem fs) {
    this.spark = spark;
    this.root = root;
    this.fs = fs;
  }

  public static AdapterRegistry at(SparkSession spark, String uri) {
    try {
      org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path(uri);
      FileSystem fs = root.getFileSystem(spark.sparkContext().hadoopConfiguration());
      return new AdapterRegistry(spark, fs.makeQualified(root), fs);
    } catch (IOException e) {
      throw new UsageException("--registry: cannot use " + uri + ": " + e.getMessage(), e);
    }
  }

  public String tablePath() {
    return new org.apache.hadoop.fs.Path(root, "table").toString();
  }

  /** Publishes the artifact as {@code name} (a new version) unless this content already is. */
  public Published publish(ArtifactManifest manifest, String name, Stage stage, String publisher) {
    RegistryName.require(name, "registry name");
    org.apache.hadoop.fs.Path artifact = storeFiles(manifest, name);
    return retrying("publish " + name, () -> {
      ensureTable();
      Optional<Row> existing = find(name, manifest.contentHash());
      if (existing.isPresent()) {
        return new Published(name, existing.get().getAs(RegistryTable.VERSION), false, artifact.toString());
      }
      long version = nextVersion(name);
      Dataset<Row> row = spark.createDataFrame(List.of(row(manifest, name, version, stage, artifact, publisher)), RegistryTable.SCHEMA);
      // The version in the condition makes a racing writer's row with the same version a match, not a duplicate.
      table().as("t")
          .merge(row.as("s"), "t.name = s.name AND (t.content_hash = s.content_hash OR t.version = s.version)")
          .whenNotMatched()
          .insertAll()
          .execute();
      Row committed = find(name, manifest.contentHash()).orElseThrow(
          () -> new ConcurrentModificationException("version " + version + " of " + name + " was taken; retrying"));
      long committedVersion = committed.getAs(RegistryTable.VERSION);
      LOG.info("Published {} version {} ({})", name, committedVersion, artifact);
      return new Published(name, committedVersion, committedVersion == version, artifact.toString());
    });
  }

  /** Moves {@code version} to production and the production version before it to archived, in one commit. */
  public void promote(String name, long version) {
    RegistryName.require(name, "NAME");
    retrying("promote " + name, () -> {
      ensureTable();
      if (rows().where(col(RegistryTable.NAME).equalTo(name).and(col(RegistryTable.VERSION).equalTo(version))).isEmpty()) {
        throw new UsageException(name + " has no version " + version);
      }
      table().update(
          col(RegistryTable.NAME).equalTo(name)
              .and(col(RegistryTable.VERSION).equalTo(version).or(col(RegistryTable.STAGE).equalTo(Stage.production.name()))),
          java.util.Map.of(
              RegistryTable.STAGE,
              when(col(RegistryTable.VERSION).equalTo(version), lit(Stage.production.name())).otherwise(lit(Stage.archived.name()))));
      return null;
    });
  }

  /** The registry's rows now, or as of a table version ({@code 12}) or timestamp ({@code 2026-11-23 10:00:00}). */
  public Dataset<Row> rows(String asOf) {
    if (asOf == null) {
      return rows();
    }
    String option = asOf.chars().allMatch(Character::isDigit) ? "versionAsOf" : "timestampAsOf";
    return spark.read().format("delta").option(option, asOf).load(tablePath());
  }

  public Dataset<Row> rows() {
    ensureTable();
    return spark.read().format("delta").load(tablePath());
  }

  public Dataset<Row> history() {
    ensureTable();
    return table().history();
  }

  /** The row of {@code name} at {@code version}, or at {@code stage} when version is null. */
  public Row resolve(String name, Long version, Stage stage) {
    RegistryName.require(name, "NAME");
    Dataset<Row> ofName = rows().where(col(RegistryTable.NAME).equalTo(name));
    Dataset<Row> matching = version != null
        ? ofName.where(col(RegistryTable.VERSION).equalTo(version))
        : ofName.where(col(RegistryTable.STAGE).equalTo(stage.name())).orderBy(col(RegistryTable.VERSION).desc());
    List<Row> found = matching.limit(1).collectAsList();
    if (found.isEmpty()) {
      throw new UsageException("no " + name + (version != null ? " version " + version : " in stage " + stage));
    }
    return found.get(0);
  }

  /**
   * Copies a row's artifact into {@code target}, which must not exist yet, checking every file's
   * SHA-256 against the row; the folder appears only when every file checked out.
   */
  public void download(Row row, Path target) {
    if (Files.exists(target)) {
      throw new UsageException("--to: " + target + " already exists");
    }
    Path staging = target.resolveSibling("." + target.getFileName() + ".partial-" + UUID.randomUUID());
    try {
      org.apache.hadoop.fs.Path artifact = new org.apache.hadoop.fs.Path(row.<String>getAs(RegistryTable.ARTIFACT_URI));
      for (Row file : row.<Row>getList(row.fieldIndex(RegistryTable.FILES))) {
        String relative = file.getAs("path");
        String what = relative + " of " + row.getAs(RegistryTable.NAME) + " version " + row.getAs(RegistryTable.VERSION);
        Path local = staging.resolve(relative).normalize();
        if (!local.startsWith(staging)) {
          throw new UsageException(what + " lies outside the artifact's folder");
        }
        Files.createDirectories(local.getParent());
        try {
          fs.copyToLocalFile(false, new org.apache.hadoop.fs.Path(artifact, relative), new org.apache.hadoop.fs.Path(local.toUri()), true);
        } catch (ChecksumException e) {
          throw new UsageException(what + " is corrupt in the registry: " + e.getMessage(), e);
        }
        String actual = Sha256.of(local);
        if (!actual.equals(file.getAs("sha256"))) {
          throw new UsageException(
              what + " has SHA-256 " + actual + ", the registry recorded " + file.getAs("sha256"));
        }
      }
      Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot download into " + target, e);
    } finally {
      deleteQuietly(staging);
    }
  }

  private static void deleteQuietly(Path folder) {
    if (!Files.exists(folder)) {
      return;
    }
    try (java.util.stream.Stream<Path> walk = Files.walk(folder)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      LOG.warn("Could not remove {}", folder, e);
    }
  }

  /** The artifact's files under their content hash, complete before any row can point at them. */
  private org.apache.hadoop.fs.Path storeFiles(ArtifactManifest manifest, String name) {
    org.apache.hadoop.fs.Path artifacts = new org.apache.hadoop.fs.Path(root, "artifacts");
    org.apache.hadoop.fs.Path folder = new org.apache.hadoop.fs.Path(artifacts, name);
    // the name is checked; this is the guard that holds whatever a future name rule lets through
    if (!artifacts.equals(folder.getParent()) || !folder.toUri().normalize().equals(folder.toUri())) {
      throw new UsageException("registry name '" + name + "' does not name a folder directly under " + artifacts);
    }
    org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path(folder, manifest.contentHash());
    try {
      if (fs.exists(target)) {
        return target; // an earlier publish, or one that crashed before its commit, stored this content
      }
      org.apache.hadoop.fs.Path staging = new org.apache.hadoop.fs.Path(folder, ".staging-" + UUID.randomUUID());
      for (ArtifactManifest.ArtifactFile file : manifest.files()) {
        fs.copyFromLocalFile(
            new org.apache.hadoop.fs.Path(manifest.directory().resolve(file.path()).toUri()),
            new org.apache.hadoop.fs.Path(staging, file.path()));
      }
      if (!fs.rename(staging, target)) {
        fs.delete(staging, true);
        if (!fs.exists(target)) {
          throw new IOException("rename " + staging + " -> " + target + " failed");
        }
      }
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot store the artifact under " + folder, e);
    }
  }

  private static Row row(ArtifactManifest m, String name, long version, Stage stage, org.apache.hadoop.fs.Path artifact, String publisher) {
    List<Row> files = m.files().stream().map(f -> RowFactory.create(f.path(), f.sha256(), f.size())).toList();
    return RowFactory.create(
        name, version, m.contentHash(), m.language(), m.script(), m.method(), m.hyperparametersJson(),
        m.baseModelId(), m.baseModelSha256(), m.tokenizerSha256(),
        JavaConverters.asScalaBuffer(m.dataInputs()).toList(), m.dataStatsJson(), m.dataHash(), m.seed(),
        JavaConverters.mapAsScalaMap(m.metrics()), artifact.toString(),
        JavaConverters.asScalaBuffer(files).toList(), m.sizeBytes(), stage.name(),
        Timestamp.from(Instant.now()), m.createdBy() != null ? m.createdBy() : publisher);
  }

  private Optional<Row> find(String name, String contentHash) {
    List<Row> found = rows()
        .where(col(RegistryTable.NAME).equalTo(name).and(col(RegistryTable.CONTENT_HASH).equalTo(contentHash)))
        .limit(1)
        .collectAsList();
    return found.stream().findFirst();
  }

  private long nextVersion(String name) {
    Row last = rows().where(col(RegistryTable.NAME).equalTo(name)).agg(max(RegistryTable.VERSION)).first();
    return last.isNullAt(0) ? 1 : last.getLong(0) + 1;
  }

  private DeltaTable table() {
    return DeltaTable.forPath(spark, tablePath());
  }

  /** Creates the table on first use; once it exists, every later call is free. */
  private synchronized void ensureTable() {
    if (!tableExists) {
      DeltaTable.createIfNotExists(spark).location(tablePath()).addColumns(RegistryTable.SCHEMA).execute();
      tableExists = true;
    }
  }

  /**
   * Runs {@code change} until it commits: Delta's optimistic concurrency raises a
   * ConcurrentModificationException subclass when another writer committed first, and a table
   * another writer is still creating reads as not found.
   */
  private <T> T retrying(String what, Supplier<T> change) {
    for (int attempt = 1; ; attempt++) {
      try {
        return change.get();
      } catch (Exception e) {
        // a table another writer is creating has a _delta_log but no commit yet: Delta calls it not found
        boolean tableBeingCreated = e instanceof AnalysisException a && TABLE_NOT_FOUND.equals(a.getErrorClass());
        if (!(e instanceof ConcurrentModificationException) && !tableBeingCreated) {
          // Scala's AnalysisException is checked in Java's eyes, hence the wrapping
          throw e instanceof RuntimeException r ? r : new IllegalStateException(what + ": " + e.getMessage(), e);
        }
        if (tableBeingCreated) {
          tableExists = false;
        }
        if (attempt == ATTEMPTS) {
          throw new IllegalStateException(what + ": still conflicting after " + ATTEMPTS + " attempts", e);
        }
        LOG.info("{}: concurrent change ({}); retrying, attempt {}", what, e.getClass().getSimpleName(), attempt + 1);
        try {
          Thread.sleep(ThreadLocalRandom.current().nextLong(50, 200L * attempt));
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(what + " interrupted", interrupted);
        }
      }
    }
  }
}
