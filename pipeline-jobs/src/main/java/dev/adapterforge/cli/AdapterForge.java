package dev.adapterforge.cli;

import dev.adapterforge.doctor.Doctor;
import dev.adapterforge.job.ConfigFile;
import dev.adapterforge.job.SparkOptions;
import dev.adapterforge.job.UsageException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code adapterforge <command> [options]}: the main class of the application jar, run by
 * bin/adapterforge on an embedded Spark or by spark-submit on a cluster, unchanged.
 *
 * <p>Exit status: 0 success, 1 the job failed, 2 a bad command line, config file or input path,
 * reported in one line before any Spark work.
 */
@Command(
    name = "adapterforge",
    mixinStandardHelpOptions = true,
    scope = CommandLine.ScopeType.INHERIT,
    versionProvider = BuildInfo.class,
    description = "Turns multilingual corpora into trained, versioned language adapters on Spark.",
    subcommands = {Doctor.class, CommandLine.HelpCommand.class},
    footer = {
      "",
      "Every command takes --conf KEY=VALUE (a Spark setting) or --conf FILE (a HOCON file with a",
      "section per command and a 'spark' section; see conf/). Command-line options override the file."
    })
public final class AdapterForge implements Runnable {
  public static final int EXIT_JOB_FAILED = 1;
  public static final int EXIT_USAGE = CommandLine.ExitCode.USAGE;

  private static final Logger LOG = LoggerFactory.getLogger(AdapterForge.class);

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(
        spec.commandLine(), "missing command: one of " + spec.subcommands().keySet());
  }

  public static void main(String[] args) {
    PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
    PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
    System.exit(run(args, out, err));
  }

  /** Parses, validates and runs one command; returns its exit status. */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cli = new CommandLine(new AdapterForge());
    cli.setOut(out);
    cli.setErr(err);
    showDefaultValues(cli);
    cli.setParameterExceptionHandler((e, a) -> usageError(err, e.getCommandLine(), e.getMessage()));
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          if (e instanceof UsageException) {
            return usageError(err, commandLine, e.getMessage());
          }
          LOG.error("{} failed", commandLine.getCommandSpec().qualifiedName(), e);
          err.println(commandLine.getCommandSpec().qualifiedName() + ": failed: " + e);
          return EXIT_JOB_FAILED;
        });
    try {
      useConfigFiles(cli, configFilesNamedIn(args));
    } catch (UsageException e) {
      return usageError(err, cli, e.getMessage());
    }
    return cli.execute(args);
  }

  /** Config files given as {@code --conf FILE} anywhere before {@code --}; read before parsing. */
  static List<Path> configFilesNamedIn(String[] args) {
    List<Path> files = new ArrayList<>();
    for (int i = 0; i < args.length && !args[i].equals("--"); i++) {
      String value = null;
      if (args[i].equals("--conf") && i + 1 < args.length) {
        value = args[++i];
      } else if (args[i].startsWith("--conf=")) {
        value = args[i].substring("--conf=".length());
      }
      if (value != null && SparkOptions.isConfigFile(value)) {
        files.add(Path.of(value));
      }
    }
    return files;
  }

  private static void useConfigFiles(CommandLine cli, List<Path> files) {
    List<ConfigFile> configs = new ArrayList<>();
    for (Path file : files) {
      ConfigFile config = ConfigFile.load(file);
      config.validateAgainst(cli.getCommandSpec());
      configs.add(0, config); // the last file named wins
    }
    if (!configs.isEmpty()) {
      cli.setDefaultValueProvider(
          arg -> {
            for (ConfigFile config : configs) {
              String value = config.defaultValue(arg);
              if (value != null) {
                return value;
              }
            }
            return null;
          });
    }
  }

  private static void showDefaultValues(CommandLine cli) {
    cli.getCommandSpec().usageMessage().showDefaultValues(true);
    cli.getSubcommands().values().forEach(AdapterForge::showDefaultValues);
  }

  private static int usageError(PrintWriter err, CommandLine commandLine, String message) {
    String command = commandLine.getCommandSpec().qualifiedName();
    err.println(command + ": " + message + " (see '" + command + " --help')");
    return EXIT_USAGE;
  }
}
