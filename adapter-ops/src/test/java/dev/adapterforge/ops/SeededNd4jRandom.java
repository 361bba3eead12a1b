package dev.adapterforge.ops;

import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Seeds ND4J's random generator before every test of this module from the test's own id (registered
 * through {@code META-INF/services}), so a test draws the same numbers on every run, in any order,
 * on any CPU: a failure reproduces, and a tolerance is never tuned to one lucky draw.
 */
public final class SeededNd4jRandom implements BeforeEachCallback {
  @Override
  public void beforeEach(ExtensionContext context) {
    Nd4j.getRandom().setSeed(context.getUniqueId().hashCode());
  }
}
