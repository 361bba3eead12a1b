package dev.adapterforge.registry;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The registry's Delta table: one row per published adapter version. Not partitioned: even thousands
 * of languages times versions are a few MB, which one file per commit serves best; partitions by
 * language would make thousands of tiny files, and Delta's per-file statistics already skip by name
 * and language.
 */
public final class RegistryTable {
  public static final String NAME = "name";
  public static final String VERSION = "version";
  public static final String CONTENT_HASH = "content_hash";
  public static final String LANGUAGE = "language";
  public static final String STAGE = "stage";
  public static final String ARTIFACT_URI = "artifact_uri";
  public static final String FILES = "files";
  public static final String CREATED_AT = "created_at";

  public static final StructType SCHEMA =
      new StructType()
          .add(NAME, DataTypes.StringType, false)
          .add(VERSION, DataTypes.LongType, false)
          .add(CONTENT_HASH, DataTypes.StringType, false)
          .add(LANGUAGE, DataTypes.StringType, false)
          .add("script", DataTypes.StringType, true)
          .add("method", DataTypes.StringType, false)
          .add("hyperparameters", DataTypes.StringType, true)
          .add("base_model_id", DataTypes.StringType, false)
          .add("base_model_sha256", DataTypes.StringType, false)
          .add("tokenizer_sha256", DataTypes.StringType, true)
          .add("data_inputs", DataTypes.createArrayType(DataTypes.StringType), true)
          .add("data_stats", DataTypes.StringType, true)
          .add("data_hash", DataTypes.StringType, true)
          .add("seed", DataTypes.LongType, true)
          .add("metrics", DataTypes.createMapType(DataTypes.StringType, DataTypes.DoubleType), true)
          .add(ARTIFACT_URI, DataTypes.StringType, false)
          .add(
              FILES,
              DataTypes.createArrayType(
                  new StructType()
                      // Delta enforces no NOT NULL inside arrays
                      .add("path", DataTypes.StringType, true)
                      .add("sha256", DataTypes.StringType, true)
                      .add("size", DataTypes.LongType, true)),
              false)
          .add("size_bytes", DataTypes.LongType, false)
          .add(STAGE, DataTypes.StringType, false)
          .add(CREATED_AT, DataTypes.TimestampType, false)
          .add("created_by", DataTypes.StringType, true);

  private RegistryTable() {}
}
