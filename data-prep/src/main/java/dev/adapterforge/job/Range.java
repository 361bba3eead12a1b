package dev.adapterforge.job;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The valid range of a numeric option, declared on the option's field beside its {@code @Option}:
 * the one place it is stated. {@link OptionRanges} checks every parsed value against it, whether it
 * came from the command line, a config file or a pipeline section; a list option's every element.
 * NaN is never in range.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
public @interface Range {
  double min() default Double.NEGATIVE_INFINITY;

  double max() default Double.POSITIVE_INFINITY;

  /** Whether {@link #min} itself is out of range: {@code (0, ...} for a rate that must be positive. */
  boolean minExclusive() default false;

  boolean maxExclusive() default false;
}
