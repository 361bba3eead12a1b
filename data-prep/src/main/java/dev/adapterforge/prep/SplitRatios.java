package dev.adapterforge.prep;

import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

import java.io.Serializable;
import java.util.List;
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
    Column uniform = pmod(xxhash64(lit(seed), text), lit(BUCKETS)).divide(lit((double) BUCKETS));
    return when(uniform.lt(train), NAMES.get(0))
        .when(uniform.lt(train + validation), NAMES.get(1))
        .otherwise(NAMES.get(2));
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
