package dev.adapterforge.prep.glotcc;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import scala.collection.JavaConverters;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** The GlotCC-V1 shard schema (cis-lmu/GlotCC-V1), column names with their dashes. */
public final class GlotccColumns {
  public static final String CONTENT = "content";
  public static final String WARC_RECORD_ID = "warc-record-id";
  public static final String QUALITY_WARNINGS = "quality-warnings";
  public static final String IDENTIFICATION_LANGUAGE = "identification-language";

  /** What the job reads; a shard without any of these is malformed. */
  public static final List<String> REQUIRED = List.of(CONTENT, WARC_RECORD_ID, QUALITY_WARNINGS, IDENTIFICATION_LANGUAGE);

  /** Every column of a GlotCC-V1 shard, in its order. */
  public static final StructType SHARD_SCHEMA =
      new StructType()
          .add(CONTENT, DataTypes.StringType)
          .add("warc-target-uri", DataTypes.StringType)
          .add("warc-date", DataTypes.StringType)
          .add(WARC_RECORD_ID, DataTypes.StringType)
          .add(QUALITY_WARNINGS, DataTypes.createArrayType(DataTypes.StringType))
          .add("categories", DataTypes.createArrayType(DataTypes.StringType))
          .add(IDENTIFICATION_LANGUAGE, DataTypes.StringType)
          .add("identification-prob", DataTypes.DoubleType)
          .add("identification-consistency", DataTypes.DoubleType)
          .add("script-percentage", DataTypes.DoubleType)
          .add("num-sents", DataTypes.LongType)
          .add("content-length", DataTypes.LongType)
          .add("tlsh", DataTypes.StringType);

  private GlotccColumns() {}

  /**
   * A record in {@link #SHARD_SCHEMA} with the given text, label and warnings and plausible values
   * elsewhere, for samples and benchmark corpora; its record id is a name-based UUID of {@code id}.
   */
  public static Row shardRow(String id, String content, String label, List<String> warnings) {
    return RowFactory.create(
        content,
        "https://udhr.example/" + id,
        "2023-06-01T00:00:00Z",
        "<urn:uuid:" + UUID.nameUUIDFromBytes(id.getBytes(StandardCharsets.UTF_8)) + ">",
        // Scala sequences: the row encoder of Dataset.map takes no java.util.List
        JavaConverters.asScalaBuffer(warnings).toList(),
        JavaConverters.asScalaBuffer(List.<String>of()).toList(),
        label,
        0.95,
        0.9,
        1.0,
        content == null ? 0L : (long) content.split("[.!?።]").length,
        content == null ? 0L : (long) content.length(),
        null);
  }
}
