package dev.adapterforge.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

class ConfigFileTest {
  @TempDir Path dir;

  @Command(name = "tool", subcommands = {Prep.class, Registry.class})
  static class Tool {}

  @Command(name = "prep")
  static class Prep {
    @Option(names = "--input") String input;
    @Option(names = "--languages", split = ",") List<String> languages;
    @Option(names = "--max-length", defaultValue = "512") int maxLength;
  }

  @Command(name = "registry", subcommands = {RegistryList.class})
  static class Registry {}

  @Command(name = "list")
  static class RegistryList {
    @Option(names = "--stage") String stage;
  }

  private Path write(String hocon) throws IOException {
    Path file = dir.resolve("job.conf");
    Files.writeString(file, hocon);
    return file;
  }

  private static CommandLine cli(ConfigFile config) {
    CommandLine cli = new CommandLine(new Tool());
    config.validateAgainst(cli.getCommandSpec());
    cli.setDefaultValueProvider(config);
    return cli;
  }

  @Test
  void sectionsGiveDefaultsAndTheCommandLineWins() throws IOException {
    ConfigFile config =
        ConfigFile.load(write("prep { input = \"a.csv\", languages = [mt, sw], max-length = 128 }"));
    CommandLine cli = cli(config);

    CommandLine.ParseResult fromFile = cli.parseArgs("prep");
    Prep prep = fromFile.subcommand().commandSpec().commandLine().getCommand();
    assertEquals("a.csv", prep.input);
    assertEquals(List.of("mt", "sw"), prep.languages);
    assertEquals(128, prep.maxLength);

    CommandLine cli2 = cli(config);
    Prep overridden =
        cli2.parseArgs("prep", "--max-length", "64").subcommand().commandSpec().commandLine().getCommand();
    assertEquals(64, overridden.maxLength);
    assertEquals("a.csv", overridden.input);
  }

  @Test
  void nestedSubcommandSectionsAreRead() throws IOException {
    CommandLine cli = cli(ConfigFile.load(write("registry { list { stage = production } }")));
    RegistryList list =
        cli.parseArgs("registry", "list").subcommand().subcommand().commandSpec().commandLine().getCommand();
    assertEquals("production", list.stage);
  }

  @Test
  void sparkSectionBecomesSparkKeys() throws IOException {
    ConfigFile config = ConfigFile.load(write("spark { sql.shuffle.partitions = 8, master = \"local[2]\" }"));
    assertEquals(
        Map.of("spark.sql.shuffle.partitions", "8", "spark.master", "local[2]"), config.sparkSettings());
  }

  @Test
  void unknownKeysFailNamingTheKey() throws IOException {
    ConfigFile typo = ConfigFile.load(write("prep { inptu = x }"));
    UsageException e = assertThrows(UsageException.class, () -> cli(typo));
    assertTrue(e.getMessage().contains("'prep.inptu'"), e.getMessage());
    assertTrue(e.getMessage().contains("no option --inptu"), e.getMessage());

    ConfigFile section = ConfigFile.load(write("prpe { input = x }"));
    UsageException e2 = assertThrows(UsageException.class, () -> cli(section));
    assertTrue(e2.getMessage().contains("'prpe'"), e2.getMessage());

    ConfigFile nested = ConfigFile.load(write("registry { list { stag = x } }"));
    UsageException e3 = assertThrows(UsageException.class, () -> cli(nested));
    assertTrue(e3.getMessage().contains("'registry.list.stag'"), e3.getMessage());
  }

  @Test
  void missingAndMalformedFilesFailNamingTheFile() throws IOException {
    UsageException missing = assertThrows(UsageException.class, () -> ConfigFile.load(dir.resolve("nope.conf")));
    assertTrue(missing.getMessage().contains("nope.conf"), missing.getMessage());

    Path bad = write("prep { input = ");
    UsageException malformed = assertThrows(UsageException.class, () -> ConfigFile.load(bad));
    assertTrue(malformed.getMessage().startsWith(bad.toString()), malformed.getMessage());
  }
}
