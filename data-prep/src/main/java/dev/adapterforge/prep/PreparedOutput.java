package dev.adapterforge.prep;

import dev.adapterforge.job.UsageException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A prep job's output folder, published all at once: every part is written into a hidden staging
 * folder beside the target, which is renamed into place only when complete, with {@value #SUCCESS}
 * written last. A run killed half-way leaves only the staging folder, which no reader mistakes for
 * output; readers require {@value #SUCCESS} as well, for object stores whose rename is not atomic.
 */
public final class PreparedOutput {
  public static final String TEXT = "text";
  public static final String TOKENS = "tokens";
  public static final String QUARANTINE = "quarantine";
  public static final String STATS = "stats.json";
  public static final String SUCCESS = "_SUCCESS";

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
      Path staging = new Path(target.getParent(), "." + target.getName() + ".staging-" + UUID.randomUUID());
      return new PreparedOutput(fs, target, staging);
    } catch (IOException e) {
      throw new UsageException("--output: cannot use " + location + ": " + e.getMessage(), e);
    }
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
