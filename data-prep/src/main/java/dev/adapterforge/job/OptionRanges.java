package dev.adapterforge.job;

import java.lang.reflect.Field;
import java.util.Collection;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/** Checks parsed option values against their {@link Range} declarations. */
public final class OptionRanges {
  private OptionRanges() {}

  /** Every command of a parsed command line, the root's options first. */
  public static void check(ParseResult parsed) {
    for (ParseResult command = parsed; command != null; command = command.subcommand()) {
      check(command.commandSpec());
    }
  }

  /**
   * @throws UsageException naming the first option out of its range, its range and the value
   */
  public static void check(CommandSpec command) {
    for (OptionSpec option : command.options()) {
      if (!(option.userObject() instanceof Field field) || !field.isAnnotationPresent(Range.class)) {
        continue;
      }
      Range range = field.getAnnotation(Range.class);
      for (Object element : values(option.getValue())) {
        double number = ((Number) element).doubleValue();
        if (!contains(range, number)) {
          throw new UsageException(option.longestName() + ": must be " + describe(range) + ", got " + element);
        }
      }
    }
  }

  private static Collection<?> values(Object value) {
    if (value instanceof Collection<?> many) {
      return many;
    }
    return value == null ? List.of() : List.of(value);
  }

  static boolean contains(Range range, double value) {
    boolean aboveMin = range.minExclusive() ? value > range.min() : value >= range.min();
    boolean belowMax = range.maxExclusive() ? value < range.max() : value <= range.max();
    return aboveMin && belowMax;
  }

  /** The range as a reader writes it: {@code >= 1}, {@code > 0}, {@code in (0, 1)}. */
  static String describe(Range range) {
    boolean bounded = range.max() != Double.POSITIVE_INFINITY;
    if (range.min() == Double.NEGATIVE_INFINITY) {
      return (range.maxExclusive() ? "< " : "<= ") + number(range.max());
    }
    if (!bounded) {
      return (range.minExclusive() ? "> " : ">= ") + number(range.min());
    }
    return "in " + (range.minExclusive() ? "(" : "[") + number(range.min()) + ", " + number(range.max())
        + (range.maxExclusive() ? ")" : "]");
  }

  private static String number(double value) {
    return value == Math.rint(value) && Math.abs(value) < 1e15 ? Long.toString((long) value) : Double.toString(value);
  }
}
