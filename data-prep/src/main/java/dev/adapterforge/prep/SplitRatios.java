package dev.adapterforge.prep;

import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

import java.io.Serializable;
import java.util.List;
import java.util.stream.DoubleStream;
import org.apache.spark.sql.Column;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Train, validation and test shares. A record's split is a pure function of its text and the seed,
 * so the same input lands in the same split on any cluster, in any partitioning, on any rerun.
 */
public record SplitRatios(double train, double validation, double test) implements Serializable {
  public static final List<String> NAMES = List.of("train", "validation", "test");
  private static final long BUCKETS = 1L << 53; // exactly representable as a double

  public SplitRatios {
    for (double share : new double[] {train, validation, test}) {
      if (!(share >= 0 && share <= 1)) {
        throw new IllegalArgumentException("each share must be in [0, 1]");
      }
    }
    if (Math.abs(train + validation + test - 1) > 1e-9) {
      throw new IllegalArgumentException("shares must sum to 1, got " + (train + validation + test));
    }
  }

  /** The split name column for rows whose content is {@code text}. */
  public Column assign(Column text, long seed) {
    Column uniform = uniform(text, seed);
    return when(uniform.lt(train), NAMES.get(0))
        .when(uniform.lt(train + validation), NAMES.get(1))
        .otherwise(NAMES.get(2));
  }

  /** The value in [0, 1) that {@link #assign} compares with the shares: the order records split in. */
  public Column uniform(Column text, long seed) {
    return pmod(xxhash64(lit(seed), text), lit(BUCKETS)).divide(lit((double) BUCKETS));
  }

  /**
   * How many of {@code records} records (train, validation, test) each split gets when they are
   * split by rank: as near the shares as whole records allow, and at least one in every split whose
   * share is positive, once there are records for each of them.
   */
  public long[] sizesByRank(long records) {
    long[] sizes = new long[3];
    for (int i = 1; i < 3; i++) {
      if (share(i) > 0) {
        long rounded = Math.round(records * share(i));
        sizes[i] = records >= positiveShares() ? Math.max(1, rounded) : rounded;
      }
    }
    // train takes the rest; where rounding left it short of one record, the larger other split gives
    sizes[0] = records - sizes[1] - sizes[2];
    long trainAtLeast = train > 0 ? Math.min(1, records) : 0;
    while (sizes[0] < trainAtLeast) {
      int larger = sizes[1] >= sizes[2] ? 1 : 2;
      sizes[larger]--;
      sizes[0]++;
    }
    return sizes;
  }

  /** The split name column for a record at 0-based {@code rank} of a language split into {@code sizes}. */
  public static Column byRank(Column rank, long[] sizes) {
    return when(rank.lt(sizes[0]), NAMES.get(0)).when(rank.lt(sizes[0] + sizes[1]), NAMES.get(1)).otherwise(NAMES.get(2));
  }

  /** How many splits have a positive share: the records a language needs for every split to get one. */
  public long positiveShares() {
    return DoubleStream.of(train, validation, test).filter(share -> share > 0).count();
  }

  public double share(int split) {
    return new double[] {train, validation, test}[split];
  }

  @Override
  public String toString() {
    return train + "," + validation + "," + test;
  }

  /** Parses {@code --split 0.8,0.1,0.1}. */
  public static final class Converter implements ITypeConverter<SplitRatios> {
    @Override
    public SplitRatios convert(String value) {
      String[] parts = value.split(",");
      if (parts.length != 3) {
        throw new TypeConversionException("expected TRAIN,VALIDATION,TEST shares, got '" + value + "'");
      }
      try {
        return new SplitRatios(
            Double.parseDouble(parts[0].strip()),
            Double.parseDouble(parts[1].strip()),
            Double.parseDouble(parts[2].strip()));
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException("'" + value + "': " + e.getMessage());
      }
    }
  }
}
