package dev.adapterforge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code bin/adapterforge} run as a user runs it, in its own process, its output appended to a log
 * file: for tests that kill a driver, or need executors in other JVMs.
 */
public final class LauncherProcess {
  public static final Path PROJECT = Path.of(System.getProperty("adapterforge.project.dir"));

  private final Process process;
  private final Path log;

  private LauncherProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  /** Starts {@code bin/adapterforge args...}, never rebuilding (the build under test is the jar). */
  public static LauncherProcess start(Path log, List<String> args) throws IOException {
    Files.createDirectories(log.getParent());
    List<String> command = new ArrayList<>(List.of(PROJECT.resolve("bin/adapterforge").toString()));
    command.addAll(args);
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    builder.environment().put("ADAPTERFORGE_NO_BUILD", "1");
    return new LauncherProcess(builder.start(), log);
  }

  public Process process() {
    return process;
  }

  /** Waits for a successful exit; on a timeout kills it; either failure shows the log's tail. */
  public void finish(int minutes) throws Exception {
    if (!process.waitFor(minutes, TimeUnit.MINUTES)) {
      kill();
      throw new AssertionError("timed out:\n" + tail());
    }
    assertEquals(0, process.exitValue(), tail());
  }

  /** SIGKILL to the driver and every process it started, as a lost machine would. */
  public void kill() throws InterruptedException {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly().waitFor();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** The log's last 40 lines. */
  public String tail() throws IOException {
    List<String> lines = Files.readAllLines(log);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
  }
}
