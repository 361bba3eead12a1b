package dev.adapterforge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adapterforge.job.CommandRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
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

  private static CommandRun run(String... args) {
    return CommandRun.of(new AdapterForge(), args);
  }

  private static void assertUsageError(CommandRun run, String... fragments) {
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
      CommandRun help = run(spec.name(), "--help");
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
    CommandRun run = run("--version");
    assertEquals(0, run.exitCode());
    assertTrue(run.out().startsWith("adapterforge " + BuildInfo.version()), run.toString());
    assertTrue(run.out().contains("Spark 3.5"), run.toString());
  }

  @Test
  void missingCommandUnknownOptionAndBadValuesExitTwoInOneLine() {
    assertUsageError(run(), "missing command");
    assertUsageError(run("doctor", "--tasks", "many"), "--tasks", "many");
    assertUsageError(run("doctor", "--no-such-option"), "--no-such-option");
    assertUsageError(run("doctor", "--tasks", "-1", "--root", dir.toString()), "--tasks: must be >= 0");
    assertUsageError(run("doctor", "--conf", "shuffle=2", "--root", dir.toString()), "'shuffle'");
  }

  @Test
  void everyNumericOptionIsCheckedAgainstItsRangeWhereverItsValueComesFrom() throws IOException {
    String[] train = {"train", "--data", "x", "--languages", "mt", "--method", "seq_bn"};
    assertUsageError(run(with(train, "--lr", "-1")), "--lr: must be > 0, got -1.0");
    assertUsageError(run(with(train, "--lr", "NaN")), "--lr: must be > 0, got NaN");
    assertUsageError(run(with(train, "--mlm-probability", "1")), "--mlm-probability: must be in (0, 1), got 1.0");
    assertUsageError(run(with(train, "--leave-out", "0,-3")), "--leave-out: must be >= 0, got -3");
    assertUsageError(run(with(train, "--workers", "0")), "--workers: must be >= 1, got 0");
    assertUsageError(run("prep-glotcc", "--input", "x", "--output", "y", "--languages", "all", "--unk-threshold", "1.5"),
        "--unk-threshold: must be in [0, 1], got 1.5");

    Path file = dir.resolve("negative.conf");
    Files.writeString(file, "train { lr = -0.5 }");
    assertUsageError(run(with(train, "--conf", file.toString())), "--lr: must be > 0, got -0.5");

    Path pipeline = dir.resolve("pipeline.conf");
    Files.writeString(pipeline, """
        pipeline { sources = [glotcc] }
        prep-glotcc { input = "x", output = "y", languages = [all] }
        train { method = seq_bn, lr = -1 }
        """);
    assertUsageError(run("pipeline", "--conf", pipeline.toString(), "--root", dir.toString()),
        "train: --lr: must be > 0, got -1.0", "'train' section");
  }

  private static String[] with(String[] args, String... more) {
    String[] all = Arrays.copyOf(args, args.length + more.length);
    System.arraycopy(more, 0, all, args.length, more.length);
    return all;
  }

  @Test
  void anUnknownOptionIsNamedEvenWhenRequiredOnesAreMissing() {
    assertUsageError(run("prep-glotcc", "--no-such-option", "1"), "Unknown option", "'--no-such-option'", "--input");
  }

  @Test
  void aMasterUrlSparkCannotParseIsOneLineBeforeSparkStarts() {
    assertUsageError(run("doctor", "--master", "garbage://nope", "--root", dir.toString()),
        "--master: 'garbage://nope' is not a Spark master URL");
    assertUsageError(run("doctor", "--conf", "spark.master=local[two]", "--root", dir.toString()),
        "spark.master: 'local[two]' is not a Spark master URL");
  }

  @Test
  void helpShowsListOptionsOnceEach() {
    CommandRun help = run("prep-glotcc", "--help");
    assertTrue(help.out().contains("[--drop-warnings=WARNING[,WARNING...]]..."), help.out());
    assertTrue(!help.out().contains("[,...]"), "no doubled list markers: " + help.out());
    assertTrue(help.out().lines().allMatch(line -> line.length() <= 80), "80 columns: " + help.out());
  }

  @Test
  void configFilesAreCheckedBeforeAnythingRuns() throws IOException {
    Path typo = dir.resolve("typo.conf");
    Files.writeString(typo, "doctor { taks = 3 }");
    assertUsageError(run("doctor", "--conf", typo.toString()), "typo.conf", "'doctor.taks'");

    assertUsageError(run("doctor", "--conf", dir.resolve("absent.conf").toString()), "absent.conf");

    Path badValue = dir.resolve("bad.conf");
    Files.writeString(badValue, "doctor { tasks = -4 }");
    assertUsageError(run("doctor", "--conf=" + badValue, "--root", dir.toString()), "--tasks: must be >= 0, got -4");
  }
}
