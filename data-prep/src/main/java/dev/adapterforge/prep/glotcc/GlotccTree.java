package dev.adapterforge.prep.glotcc;

import dev.adapterforge.job.UsageException;
import dev.adapterforge.prep.LanguageSelection;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;

/**
 * The shards of the requested language folders of a GlotCC-V1 tree ({@code v1.0/<lang>-<Script>/
 * <lang>-<Script>_<k>.parquet}), each checked by reading its footer: a shard that is not Parquet or
 * lacks a column the job reads is set aside as unreadable, never passed to Spark to fail a task.
 */
public final class GlotccTree {
  /** A language folder's name: ISO 639-3 code and ISO 15924 script, e.g. {@code sun-Latn}. */
  public static final Pattern FOLDER = Pattern.compile("[a-z]{3}-[A-Z][a-z]{3}");
  private static final String VERSION_FOLDER = "v1.0";

  /** A shard Spark can read, with the record count its footer declares. */
  public record Shard(String language, String path, long rows) {}

  /** A shard whose records cannot be read, and why. */
  public record UnreadableShard(String language, String path, String problem) {}

  private final List<String> languages;
  private final List<Shard> shards;
  private final List<UnreadableShard> unreadable;

  private GlotccTree(List<String> languages, List<Shard> shards, List<UnreadableShard> unreadable) {
    this.languages = languages;
    this.shards = shards;
    this.unreadable = unreadable;
  }

  /**
   * Scans {@code input} (the tree, or its {@code v1.0} folder) for {@code languages}, or every folder
   * for {@code all}; a requested folder that does not exist is a {@link UsageException}.
   */
  public static GlotccTree scan(String input, List<String> languages, Configuration hadoopConf) {
    try {
      Path root = new Path(input);
      FileSystem fs = root.getFileSystem(hadoopConf);
      if (fs.isDirectory(new Path(root, VERSION_FOLDER))) {
        root = new Path(root, VERSION_FOLDER);
      }
      List<String> folders = LanguageSelection.isAll(languages) ? allFolders(fs, root) : languages;
      List<Shard> shards = new ArrayList<>();
      List<UnreadableShard> unreadable = new ArrayList<>();
      for (String language : folders) {
        Path folder = new Path(root, language);
        if (!fs.isDirectory(folder)) {
          throw new UsageException("--languages: " + language + " has no folder " + folder + " in the GlotCC tree");
        }
        FileStatus[] files = fs.listStatus(folder, p -> p.getName().endsWith(".parquet"));
        Arrays.sort(files, Comparator.comparing(f -> f.getPath().getName()));
        for (FileStatus file : files) {
          check(language, file.getPath(), hadoopConf, shards, unreadable);
        }
      }
      return new GlotccTree(folders, shards, unreadable);
    } catch (IOException e) {
      throw new UsageException("--input: cannot list " + input + ": " + e.getMessage(), e);
    }
  }

  private static List<String> allFolders(FileSystem fs, Path root) throws IOException {
    return Arrays.stream(fs.listStatus(root))
        .filter(FileStatus::isDirectory)
        .map(f -> f.getPath().getName())
        .filter(name -> FOLDER.matcher(name).matches())
        .sorted()
        .toList();
  }

  private static void check(
      String language, Path file, Configuration conf, List<Shard> shards, List<UnreadableShard> unreadable) {
    try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(file, conf))) {
      MessageType schema = reader.getFooter().getFileMetaData().getSchema();
      Set<String> columns = schema.getFields().stream().map(Type::getName).collect(Collectors.toSet());
      List<String> missing = GlotccColumns.REQUIRED.stream().filter(c -> !columns.contains(c)).toList();
      if (missing.isEmpty()) {
        shards.add(new Shard(language, file.toString(), reader.getRecordCount()));
      } else {
        unreadable.add(new UnreadableShard(language, file.toString(), "not a GlotCC shard: no column " + missing));
      }
    } catch (IOException | RuntimeException e) {
      unreadable.add(new UnreadableShard(language, file.toString(), "unreadable Parquet: " + e.getMessage()));
    }
  }

  public List<String> languages() {
    return languages;
  }

  public List<Shard> shards() {
    return shards;
  }

  public List<UnreadableShard> unreadable() {
    return unreadable;
  }
}
