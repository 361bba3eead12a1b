package dev.adapterforge.prep;

import dev.adapterforge.job.UsageException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A prep job's output folder, published all at once: every part is written into a hidden staging
 * folder beside the target, which is renamed into place only when complete, with {@value #SUCCESS}
 * written last. A run killed half-way leaves only the staging folder, which no reader mistakes for
 * output, and which the next run of the same output removes once it has gone unwritten long enough;
 * readers require {@value #SUCCESS} as well, for object stores whose rename is not atomic.
 */
public final class PreparedOutput {
  public static final String TEXT = "text";
  public static final String TOKENS = "tokens";
  public static final String QUARANTINE = "quarantine";
  public static final String STATS = "stats.json";
  public static final String SUCCESS = "_SUCCESS";

  /** How long a staging folder must go unwritten before the next run takes it for a killed run's. */
  static final Duration STALE_AFTER = Duration.ofHours(6);

  private static final String STAGING = ".staging-";
  private static final Logger LOG = LoggerFactory.getLogger(PreparedOutput.class);

  private final FileSystem fs;
  private final Path target;
  private final Path staging;

  private PreparedOutput(FileSystem fs, Path target, Path staging) {
    this.fs = fs;
    this.target = target;
    this.staging = staging;
  }

  /**
   * Checks that {@code location} may be written, before any Spark work: an existing non-empty folder
   * needs {@code overwrite}.
   */
  public static PreparedOutput plan(String location, boolean overwrite, Configuration hadoopConf) {
    try {
      Path path = new Path(location);
      FileSystem fs = path.getFileSystem(hadoopConf);
      Path target = fs.makeQualified(path);
      if (fs.exists(target)) {
        FileStatus status = fs.getFileStatus(target);
        boolean empty = status.isDirectory() && fs.listStatus(target).length == 0;
        if (!status.isDirectory()) {
          throw new UsageException("--output: " + location + " is a file, not a folder");
        }
        if (!empty && !overwrite) {
          throw new UsageException(
              "--output: " + location + " already exists; pass --overwrite to replace it atomically");
        }
      }
      clearLeftovers(fs, target, Instant.now());
      Path staging = new Path(target.getParent(), "." + target.getName() + STAGING + UUID.randomUUID());
      return new PreparedOutput(fs, target, staging);
    } catch (IOException e) {
      throw new UsageException("--output: cannot use " + location + ": " + e.getMessage(), e);
    }
  }

  /**
   * Removes the staging folders that runs of this output left when killed, once nothing has been
   * written in them for {@link #STALE_AFTER}; younger ones may belong to a run still writing, and are
   * named in the log instead.
   */
  static void clearLeftovers(FileSystem fs, Path target, Instant now) throws IOException {
    Path parent = target.getParent();
    if (parent == null || !fs.exists(parent)) {
      return;
    }
    String prefix = "." + target.getName() + STAGING;
    for (FileStatus leftover : fs.listStatus(parent, path -> path.getName().startsWith(prefix))) {
      Duration idle = Duration.between(Instant.ofEpochMilli(lastWrite(fs, leftover)), now);
      if (idle.compareTo(STALE_AFTER) >= 0) {
        LOG.warn("Removing {}, left by an earlier run of {} that did not finish (nothing written for {} h)",
            leftover.getPath(), target, idle.toHours());
        fs.delete(leftover.getPath(), true);
      } else {
        LOG.warn("{} is another run's staging folder for {}, written {} min ago: a run still going, or one killed;"
                + " it is removed once idle for {} h, or remove it yourself if no other run is writing it",
            leftover.getPath(), target, idle.toMinutes(), STALE_AFTER.toHours());
      }
    }
  }

  private static long lastWrite(FileSystem fs, FileStatus folder) throws IOException {
    long last = folder.getModificationTime();
    RemoteIterator<LocatedFileStatus> files = fs.listFiles(folder.getPath(), true);
    while (files.hasNext()) {
      last = Math.max(last, files.next().getModificationTime());
    }
    return last;
  }

  /** Where a part ({@link #TEXT}, {@link #TOKENS}, ...) is written before the commit. */
  public String staged(String part) {
    return new Path(staging, part).toString();
  }

  public Path target() {
    return target;
  }

  public void writeStaged(String part, String content) {
    try (OutputStream out = fs.create(new Path(staging, part), true)) {
      out.write(content.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + part + " under " + staging, e);
    }
  }

  /** Publishes the staged output: {@value #SUCCESS} last, then one rename, replacing any old output. */
  public void commit() {
    try {
      writeStaged(SUCCESS, "");
      Path replaced = null;
      if (fs.exists(target)) {
        replaced = new Path(target.getParent(), "." + target.getName() + ".replaced-" + UUID.randomUUID());
        rename(target, replaced);
      }
      rename(staging, target);
      if (replaced != null) {
        fs.delete(replaced, true);
      }
      LOG.info("Published {}", target);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot publish " + staging + " as " + target, e);
    }
  }

  /** Removes the staging folder of a run that will not commit. */
  public void abort() {
    try {
      fs.delete(staging, true);
    } catch (IOException e) {
      LOG.warn("Could not remove staging folder {}", staging, e);
    }
  }

  /** True when {@code location} holds a complete, published output. */
  public static boolean isComplete(String location, Configuration hadoopConf) throws IOException {
    Path path = new Path(location);
    return path.getFileSystem(hadoopConf).exists(new Path(path, SUCCESS));
  }

  private void rename(Path from, Path to) throws IOException {
    if (!fs.rename(from, to)) {
      throw new IOException("rename " + from + " -> " + to + " failed");
    }
  }
}
