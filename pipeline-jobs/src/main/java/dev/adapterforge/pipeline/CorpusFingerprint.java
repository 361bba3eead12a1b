package dev.adapterforge.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.adapterforge.ops.checkpoint.Sha256;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.hadoop.util.StringUtils;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import scala.Tuple2;

/**
 * The content of a corpus input (one file, or a folder tree such as GlotCC's, on any Hadoop file
 * system): every file's SHA-256 by its path relative to the input, and one hash over them all. Files
 * are hashed on the executors, streamed; a file whose size and modification time match the previous
 * run's record keeps its recorded checksum, so a scheduled run over an unchanged corpus lists it and
 * reads nothing. Hidden files ({@code _*}, {@code .*}), which Spark's readers skip, do not count.
 */
final class CorpusFingerprint {
  private CorpusFingerprint() {}

  /** One file as recorded: relative path, size, modification time, checksum. */
  private record FileHash(String path, long size, long modified, String sha256) {}

  /**
   * @param previous the {@code files} array an earlier fingerprint of this input recorded, or a missing node
   * @return {@code {"sha256": ..., "files": [{"path", "size", "modified", "sha256"}, ...]}}
   */
  static ObjectNode of(SparkSession spark, String input, JsonNode previous) {
    Map<String, JsonNode> known = new HashMap<>();
    previous.forEach(file -> known.put(file.path("path").asText(), file));
    try {
      Path root = new Path(input);
      FileSystem fs = root.getFileSystem(spark.sparkContext().hadoopConfiguration());
      Path qualifiedRoot = fs.makeQualified(root);
      boolean folder = fs.getFileStatus(qualifiedRoot).isDirectory();
      Map<String, FileHash> files = new TreeMap<>();
      Map<String, String> toHash = new HashMap<>();
      for (RemoteIterator<LocatedFileStatus> listing = fs.listFiles(qualifiedRoot, true); listing.hasNext(); ) {
        LocatedFileStatus status = listing.next();
        String relative = folder ? relative(qualifiedRoot, status.getPath()) : status.getPath().getName();
        if (relative.isEmpty() || hidden(relative)) {
          continue;
        }
        JsonNode recorded = known.get(relative);
        if (recorded != null
            && recorded.path("size").asLong() == status.getLen()
            && recorded.path("modified").asLong() == status.getModificationTime()) {
          files.put(relative, new FileHash(relative, status.getLen(), status.getModificationTime(), recorded.path("sha256").asText()));
        } else {
          files.put(relative, new FileHash(relative, status.getLen(), status.getModificationTime(), null));
          toHash.put(status.getPath().toUri().getPath(), relative);
        }
      }
      hashOnExecutors(spark, toHash).forEach((relative, sha256) -> {
        FileHash file = files.get(relative);
        files.put(relative, new FileHash(relative, file.size(), file.modified(), sha256));
      });
      return json(files.values());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot fingerprint the corpus input " + input, e);
    }
  }

  /** The checksums of the files keyed by their URI path, returned by their relative path. */
  private static Map<String, String> hashOnExecutors(SparkSession spark, Map<String, String> relativeByPath) {
    if (relativeByPath.isEmpty()) {
      return Map.of();
    }
    List<String> escaped = new ArrayList<>();
    relativeByPath.keySet().forEach(path -> escaped.add(StringUtils.escapeString(path)));
    JavaSparkContext context = JavaSparkContext.fromSparkContext(spark.sparkContext());
    List<Tuple2<String, String>> hashed =
        context.binaryFiles(String.join(",", escaped), Math.min(relativeByPath.size(), context.defaultParallelism()))
            .mapToPair(file -> {
              try (DataInputStream in = file._2().open()) {
                return new Tuple2<>(new Path(file._1()).toUri().getPath(), Sha256.of(in));
              }
            })
            .collect();
    Map<String, String> byRelative = new HashMap<>();
    hashed.forEach(pair -> byRelative.put(relativeByPath.get(pair._1()), pair._2()));
    return byRelative;
  }

  private static String relative(Path root, Path file) {
    String prefix = root.toUri().getPath();
    String path = file.toUri().getPath();
    return path.length() > prefix.length() ? path.substring(prefix.length()).replaceFirst("^/", "") : "";
  }

  private static boolean hidden(String relative) {
    for (String segment : relative.split("/")) {
      if (segment.startsWith("_") || segment.startsWith(".")) {
        return true;
      }
    }
    return false;
  }

  private static ObjectNode json(Iterable<FileHash> files) {
    StringBuilder lines = new StringBuilder();
    files.forEach(file -> lines.append(file.sha256()).append("  ").append(file.path()).append('\n'));
    ObjectNode fingerprint = StageLedger.object().put("sha256", Sha256.ofText(lines.toString()));
    ArrayNode list = fingerprint.putArray("files");
    files.forEach(file ->
        list.addObject().put("path", file.path()).put("size", file.size()).put("modified", file.modified()).put("sha256", file.sha256()));
    return fingerprint;
  }
}
