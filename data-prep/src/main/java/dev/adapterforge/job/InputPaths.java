package dev.adapterforge.job;

import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.UnsupportedFileSystemException;

/** Start-up checks of input locations given as Hadoop URIs (file://, hdfs://, s3a://, or plain paths). */
public final class InputPaths {
  private InputPaths() {}

  /** The fully qualified location, or a {@link UsageException} naming {@code option} and the location. */
  public static Path requireExisting(String option, String location, Configuration hadoopConf) {
    Path path = new Path(location);
    try {
      FileSystem fs = path.getFileSystem(hadoopConf);
      if (!fs.exists(path)) {
        throw new UsageException(option + ": no such file or directory: " + location);
      }
      return fs.makeQualified(path);
    } catch (UnsupportedFileSystemException e) {
      throw new UsageException(
          option + ": no Hadoop file system for scheme '" + path.toUri().getScheme() + "' in " + location
              + " (is its connector on the classpath?)", e);
    } catch (IOException e) {
      throw new UsageException(option + ": cannot read " + location + ": " + e.getMessage(), e);
    }
  }
}
