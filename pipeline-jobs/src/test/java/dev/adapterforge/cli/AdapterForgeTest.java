package dev.adapterforge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** The command line's contract: help, exit codes and one-line errors, all before any Spark work. */
class AdapterForgeTest {
  @TempDir Path dir;

  @AfterEach
  void noSparkWasStarted() {
    assertTrue(SparkSession.getDefaultSession().isEmpty(), "a usage error must fail before Spark starts");
  }

  private static void assertUsageError(CliRun run, String... fragments) {
    assertEquals(2, run.exitCode(), run.toString());
    assertEquals(1, run.err().strip().lines().count(), "one line: " + run);
    for (String fragment : fragments) {
      assertTrue(run.err().contains(fragment), "'" + fragment + "' in " + run);
    }
  }

  @Test
  void everyCommandsHelpListsEveryOptionWithItsDefault() {
    CommandLine root = new CommandLine(new AdapterForge());
    for (CommandLine sub : root.getSubcommands().values()) {
      CommandSpec spec = sub.getCommandSpec();
      if (spec.userObject() instanceof CommandLine.HelpCommand) {
        continue;
      }
      CliRun help = CliRun.of(spec.name(), "--help");
      assertEquals(0, help.exitCode(), help.toString());
      for (OptionSpec option : spec.options()) {
        assertTrue(help.out().contains(option.longestName()), option.longestName() + " in " + help);
        if (option.defaultValue() != null && !option.usageHelp() && !option.versionHelp()) {
          assertTrue(
              help.out().contains("Default: "),
              spec.name() + " --help shows defaults: " + help);
        }
      }
    }
  }

  @Test
  void versionNamesTheBuild() {
    CliRun run = CliRun.of("--version");
    assertEquals(0, run.exitCode());
    assertTrue(run.out().startsWith("adapterforge " + BuildInfo.version()), run.toString());
    assertTrue(run.out().contains("Spark 3.5"), run.toString());
  }

  @Test
  void missingCommandUnknownOptionAndBadValuesExitTwoInOneLine() {
    assertUsageError(CliRun.of(), "missing command");
    assertUsageError(CliRun.of("doctor", "--tasks", "many"), "--tasks", "many");
    assertUsageError(CliRun.of("doctor", "--no-such-option"), "--no-such-option");
    assertUsageError(CliRun.of("doctor", "--tasks", "-1", "--root", dir.toString()), "--tasks: must be >= 0");
    assertUsageError(CliRun.of("doctor", "--conf", "shuffle=2", "--root", dir.toString()), "'shuffle'");
  }

  @Test
  void configFilesAreCheckedBeforeAnythingRuns() throws IOException {
    Path typo = dir.resolve("typo.conf");
    Files.writeString(typo, "doctor { taks = 3 }");
    assertUsageError(CliRun.of("doctor", "--conf", typo.toString()), "typo.conf", "'doctor.taks'");

    assertUsageError(CliRun.of("doctor", "--conf", dir.resolve("absent.conf").toString()), "absent.conf");

    Path badValue = dir.resolve("bad.conf");
    Files.writeString(badValue, "doctor { tasks = -4 }");
    assertUsageError(CliRun.of("doctor", "--conf=" + badValue, "--root", dir.toString()), "--tasks: must be >= 0, got -4");
  }

  @Test
  void configFilesAreFoundWhereverTheyAreNamed() {
    assertEquals(
        List.of(Path.of("a.conf"), Path.of("b.conf")),
        AdapterForge.configFilesNamedIn(
            new String[] {"doctor", "--conf", "a.conf", "--conf", "spark.x=1", "--conf=b.conf", "--", "--conf", "c.conf"}));
  }
}
