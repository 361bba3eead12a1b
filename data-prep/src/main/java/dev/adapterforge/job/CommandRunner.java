package dev.adapterforge.job;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * Runs a command line the AdapterForge way: config files named by {@code --conf FILE} checked and
 * applied first, every option's {@link Range} checked, defaults shown in every help, and exit status
 * 0 success, {@value #EXIT_JOB_FAILED} the job failed, {@value #EXIT_USAGE} a bad command line,
 * config file or input, in one line.
 */
public final class CommandRunner {
  public static final int EXIT_JOB_FAILED = 1;
  public static final int EXIT_USAGE = CommandLine.ExitCode.USAGE;

  private static final Logger LOG = LoggerFactory.getLogger(CommandRunner.class);

  private CommandRunner() {}

  /** Parses, validates and runs {@code command} (a picocli command, usually with subcommands); returns its exit status. */
  public static int run(Object command, String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cli = new CommandLine(command);
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    cli.setOut(out);
    cli.setErr(err);
    showDefaultValues(cli);
    cli.setParameterExceptionHandler((e, a) -> usageError(err, e.getCommandLine(), unknownOptionsFirst(e)));
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          if (e instanceof UsageException) {
            return usageError(err, commandLine, e.getMessage());
          }
          String failed = commandLine.getCommandSpec().qualifiedName();
          if (e instanceof JobFailedException) {
            err.println(failed + ": failed: " + e.getMessage()); // the message says it all: no stack trace
          } else {
            LOG.error("{} failed", failed, e);
            err.println(failed + ": failed: " + e);
          }
          return EXIT_JOB_FAILED;
        });
    cli.setExecutionStrategy(
        parsed -> {
          try {
            OptionRanges.check(parsed);
          } catch (UsageException e) {
            return usageError(err, innermost(parsed).commandSpec().commandLine(), e.getMessage());
          }
          return new CommandLine.RunLast().execute(parsed);
        });
    try {
      useConfigFiles(cli, configFilesNamedIn(args));
    } catch (UsageException e) {
      return usageError(err, cli, e.getMessage());
    }
    return cli.execute(args);
  }

  /** Config files given as {@code --conf FILE} anywhere before {@code --}; read before parsing. */
  public static List<Path> configFilesNamedIn(String[] args) {
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
    cli.getSubcommands().values().forEach(CommandRunner::showDefaultValues);
  }

  /**
   * picocli checks required options before it reports unknown ones, so a misspelt option would read
   * as only "missing --input": the unknown one is named first.
   */
  private static String unknownOptionsFirst(CommandLine.ParameterException e) {
    List<String> unknown = e.getCommandLine().getUnmatchedArguments();
    if (e instanceof CommandLine.UnmatchedArgumentException || unknown.isEmpty()) {
      return e.getMessage();
    }
    return "Unknown option" + (unknown.size() > 1 ? "s" : "") + ": '" + String.join("', '", unknown) + "'; and " + e.getMessage();
  }

  private static CommandLine.ParseResult innermost(CommandLine.ParseResult parsed) {
    return parsed.subcommand() == null ? parsed : innermost(parsed.subcommand());
  }

  private static int usageError(PrintWriter err, CommandLine commandLine, String message) {
    String command = commandLine.getCommandSpec().qualifiedName();
    err.println(command + ": " + message + " (see '" + command + " --help')");
    return EXIT_USAGE;
  }
}
