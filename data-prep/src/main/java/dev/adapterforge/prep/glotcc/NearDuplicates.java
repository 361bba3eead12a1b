package dev.adapterforge.prep.glotcc;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max_by;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.posexplode;
import static org.apache.spark.sql.functions.udf;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataTypes;
import scala.collection.mutable.WrappedArray;
import scala.util.hashing.MurmurHash3$;

/**
 * Near duplicates by banded MinHash LSH over character 5-gram shingles: a document whose shingle set
 * has Jaccard similarity at least the threshold with an earlier document of its language is a near
 * duplicate of it. Signatures of {@value #BANDS} bands of {@value #ROWS} MinHashes make two documents
 * candidates when a whole band agrees (probability 0.98 at similarity 0.8, 0.02 at 0.3), so unrelated
 * documents of one language are rarely compared; every candidate pair's similarity is then computed
 * exactly on the shingle sets, so LSH only decides which pairs are compared, never the verdict.
 * (Spark MLlib's MinHashLSH has no banding: each of its tables is a single MinHash, which makes most
 * pairs of same-language web documents candidates.)
 */
final class NearDuplicates {
  static final int SHINGLE = 5;
  static final int BANDS = 10;
  static final int ROWS = 5;
  private static final long PRIME = (1L << 31) - 1;

  private NearDuplicates() {}

  /** The sorted distinct 31-bit hashes of a text's shingles; the language seeds them. */
  static int[] shingles(String language, String text) {
    int seed = language.hashCode();
    int count = Math.max(1, text.length() - SHINGLE + 1);
    int[] hashes = new int[count];
    for (int i = 0; i < count; i++) {
      String shingle = text.substring(i, Math.min(text.length(), i + SHINGLE));
      hashes[i] = MurmurHash3$.MODULE$.stringHash(shingle, seed) & Integer.MAX_VALUE;
    }
    return Arrays.stream(hashes).sorted().distinct().toArray();
  }

  /** |a ∩ b| / |a ∪ b| of two sorted distinct sets. */
  static double jaccard(int[] a, int[] b) {
    int common = 0;
    for (int i = 0, j = 0; i < a.length && j < b.length; ) {
      if (a[i] == b[j]) {
        common++;
        i++;
        j++;
      } else if (a[i] < b[j]) {
        i++;
      } else {
        j++;
      }
    }
    return (double) common / (a.length + b.length - common);
  }

  /** One hash per band: of the band's {@value #ROWS} MinHashes under the universal family h(x) = (ax + b) mod p. */
  static long[] bandHashes(int[] shingles, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    long[] bands = new long[BANDS];
    for (int band = 0; band < BANDS; band++) {
      long combined = band;
      for (int row = 0; row < ROWS; row++) {
        long a = 1 + random.nextLong(PRIME - 1);
        long b = random.nextLong(PRIME);
        long min = Long.MAX_VALUE;
        for (int x : shingles) {
          min = Math.min(min, (a * x + b) % PRIME);
        }
        combined = combined * 1_000_000_007L + min;
      }
      bands[band] = combined;
    }
    return bands;
  }

  /**
   * Of {@code docs} (columns {@code key}: unique and ordered, earlier first; {@code language}; {@code
   * text}; {@code label}: how a document is named in the detail), as {@code near_key} the keys of those
   * with an earlier near duplicate, with the most similar earlier document's label ({@code
   * similar_to}) and the similarity.
   */
  static Dataset<Row> later(Dataset<Row> docs, double threshold, long seed) {
    UserDefinedFunction shingleUdf = udf(
        (UDF2<String, String, int[]>) NearDuplicates::shingles, DataTypes.createArrayType(DataTypes.IntegerType, false));
    UserDefinedFunction bandUdf = udf(
        (UDF1<WrappedArray<Integer>, long[]>) s -> bandHashes(toInts(s), seed), DataTypes.createArrayType(DataTypes.LongType, false));
    UserDefinedFunction jaccardUdf = udf(
        (UDF2<WrappedArray<Integer>, WrappedArray<Integer>, Double>) (a, b) -> jaccard(toInts(a), toInts(b)), DataTypes.DoubleType);

    Dataset<Row> shingled = docs.withColumn("shingles", shingleUdf.apply(col("language"), col("text"))).drop("text");
    Dataset<Row> banded = shingled.select(col("key"), col("language"), posexplode(bandUdf.apply(col("shingles"))).as(new String[] {"band", "band_hash"}));
    // Self-joins by renamed copies: Spark cannot tell apart aliases of one lineage
    Dataset<Row> later =
        banded.select(col("key").as("later"), col("language").as("later_language"), col("band").as("later_band"), col("band_hash").as("later_hash"));
    Dataset<Row> candidates =
        banded.join(later, col("language").equalTo(col("later_language"))
                .and(col("band").equalTo(col("later_band")))
                .and(col("band_hash").equalTo(col("later_hash")))
                .and(col("key").lt(col("later"))))
            .select(col("key").as("earlier"), col("later"))
            .distinct();
    Dataset<Row> earlierSets = shingled.select(col("key").as("earlier_key"), col("shingles").as("earlier_shingles"), col("label").as("earlier_label"));
    Dataset<Row> laterSets = shingled.select(col("key").as("later_key"), col("shingles").as("later_shingles"));
    return candidates
        .join(earlierSets, col("earlier").equalTo(col("earlier_key")))
        .join(laterSets, col("later").equalTo(col("later_key")))
        .withColumn("similarity", jaccardUdf.apply(col("earlier_shingles"), col("later_shingles")))
        .where(col("similarity").geq(lit(threshold)))
        .groupBy(col("later").as("near_key"))
        .agg(max_by(col("earlier_label"), col("similarity")).as("similar_to"), max(col("similarity")).as("similarity"));
  }

  private static int[] toInts(WrappedArray<Integer> values) {
    int[] ints = new int[values.length()];
    for (int i = 0; i < ints.length; i++) {
      ints[i] = values.apply(i);
    }
    return ints;
  }
}
