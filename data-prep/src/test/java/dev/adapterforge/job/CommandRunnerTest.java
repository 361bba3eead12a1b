package dev.adapterforge.job;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class CommandRunnerTest {
  @Test
  void configFilesAreFoundWhereverTheyAreNamed() {
    assertEquals(
        List.of(Path.of("a.conf"), Path.of("b.conf")),
        CommandRunner.configFilesNamedIn(
            new String[] {"doctor", "--conf", "a.conf", "--conf", "spark.x=1", "--conf=b.conf", "--", "--conf", "c.conf"}));
  }
}
