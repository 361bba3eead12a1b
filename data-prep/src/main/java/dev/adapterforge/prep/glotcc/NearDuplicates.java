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
 * documents of one language are rarely compared; a candidate pair whose signatures agree nearly as
 * often as the threshold asks then has its similarity computed exactly on the shingle sets, so LSH
 * only decides which pairs are compared, never the verdict.
 * (Spark MLlib's MinHashLSH has no banding: each of its tables is a single MinHash, which makes most
 * pairs of same-language web documents candidates.)
 */
final class NearDuplicates {
  static final int SHINGLE = 5;
  static final int BANDS = 10;
  static final int ROWS = 5;
  private static final long PRIME = (1L << 31) - 1;
  private static final double ESTIMATE_MARGIN = 0.2;

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

  /** {@value #BANDS} x {@value #ROWS} MinHashes under the universal family h(x) = (ax + b) mod p. */
  static long[] signature(int[] shingles, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    long[] minima = new long[BANDS * ROWS];
    for (int h = 0; h < minima.length; h++) {
      long a = 1 + random.nextLong(PRIME - 1);
      long b = random.nextLong(PRIME);
      long min = Long.MAX_VALUE;
      for (int x : shingles) {
        min = Math.min(min, (a * x + b) % PRIME);
      }
      minima[h] = min;
    }
    return minima;
  }

  /** One hash per band of a signature: two documents are candidates when one band's hashes agree. */
  static long[] bandHashes(long[] signature) {
    long[] bands = new long[BANDS];
    for (int band = 0; band < BANDS; band++) {
      long combined = band;
      for (int row = 0; row < ROWS; row++) {
        combined = combined * 1_000_000_007L + signature[band * ROWS + row];
      }
      bands[band] = combined;
    }
    return bands;
  }

  /** The share of equal MinHashes: an unbiased estimate of the Jaccard similarity. */
  static double estimatedJaccard(long[] a, long[] b) {
    int equal = 0;
    for (int i = 0; i < a.length; i++) {
      equal += a[i] == b[i] ? 1 : 0;
    }
    return (double) equal / a.length;
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
    UserDefinedFunction signatureUdf = udf(
        (UDF1<WrappedArray<Integer>, long[]>) s -> signature(toInts(s), seed), DataTypes.createArrayType(DataTypes.LongType, false));
    UserDefinedFunction bandUdf = udf(
        (UDF1<WrappedArray<Long>, long[]>) s -> bandHashes(toLongs(s)), DataTypes.createArrayType(DataTypes.LongType, false));
    UserDefinedFunction estimateUdf = udf(
        (UDF2<WrappedArray<Long>, WrappedArray<Long>, Double>) (a, b) -> estimatedJaccard(toLongs(a), toLongs(b)), DataTypes.DoubleType);
    UserDefinedFunction jaccardUdf = udf(
        (UDF2<WrappedArray<Integer>, WrappedArray<Integer>, Double>) (a, b) -> jaccard(toInts(a), toInts(b)), DataTypes.DoubleType);

    Dataset<Row> shingled = docs.withColumn("shingles", shingleUdf.apply(col("language"), col("text"))).drop("text")
        .withColumn("signature", signatureUdf.apply(col("shingles")));
    Dataset<Row> banded = shingled.select(col("key"), col("language"), posexplode(bandUdf.apply(col("signature"))).as(new String[] {"band", "band_hash"}));
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
    // Signatures (400 bytes) first: pairs whose estimate is far below the threshold never fetch their
    // shingle sets (kilobytes); the margin is 3.5 standard deviations of the 50-hash estimate at 0.8.
    Dataset<Row> earlierSignatures = shingled.select(col("key").as("earlier_key"), col("signature").as("earlier_signature"));
    Dataset<Row> laterSignatures = shingled.select(col("key").as("later_key"), col("signature").as("later_signature"));
    Dataset<Row> likely = candidates
        .join(earlierSignatures, col("earlier").equalTo(col("earlier_key")))
        .join(laterSignatures, col("later").equalTo(col("later_key")))
        .where(estimateUdf.apply(col("earlier_signature"), col("later_signature")).geq(lit(threshold - ESTIMATE_MARGIN)))
        .select(col("earlier"), col("later"));
    Dataset<Row> earlierSets = shingled.select(col("key").as("earlier_key"), col("shingles").as("earlier_shingles"), col("label").as("earlier_label"));
    Dataset<Row> laterSets = shingled.select(col("key").as("later_key"), col("shingles").as("later_shingles"));
    return likely
        .join(earlierSets, col("earlier").equalTo(col("earlier_key")))
        .join(laterSets, col("later").equalTo(col("later_key")))
        .withColumn("similarity", jaccardUdf.apply(col("earlier_shingles"), col("later_shingles")))
        .where(col("similarity").geq(lit(threshold)))
        .groupBy(col("later").as("near_key"))
        .agg(max_by(col("earlier_label"), col("similarity")).as("similar_to"), max(col("similarity")).as("similarity"));
  }

  private static long[] toLongs(WrappedArray<Long> values) {
    long[] longs = new long[values.length()];
    for (int i = 0; i < longs.length; i++) {
      longs[i] = values.apply(i);
    }
    return longs;
  }

  private static int[] toInts(WrappedArray<Integer> values) {
    int[] ints = new int[values.length()];
    for (int i = 0; i < ints.length; i++) {
      ints[i] = values.apply(i);
    }
    return ints;
  }
}
