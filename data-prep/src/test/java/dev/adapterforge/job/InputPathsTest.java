package dev.adapterforge.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InputPathsTest {
  @TempDir Path dir;

  @Test
  void existingPathsComeBackQualified() {
    assertEquals(
        "file:" + dir, InputPaths.requireExisting("--input", dir.toString(), new Configuration()).toString());
  }

  @Test
  void missingPathsNameTheOptionAndPath() {
    String missing = dir.resolve("absent").toString();
    UsageException e =
        assertThrows(UsageException.class, () -> InputPaths.requireExisting("--input", missing, new Configuration()));
    assertEquals("--input: no such file or directory: " + missing, e.getMessage());
  }

  @Test
  void unknownSchemesSayWhichConnectorIsMissing() {
    UsageException e =
        assertThrows(
            UsageException.class,
            () -> InputPaths.requireExisting("--input", "nosuchfs://bucket/x", new Configuration()));
    assertTrue(e.getMessage().contains("scheme 'nosuchfs'"), e.getMessage());
  }
}
