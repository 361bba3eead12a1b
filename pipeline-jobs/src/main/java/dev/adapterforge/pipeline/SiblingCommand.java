package dev.adapterforge.pipeline;

import dev.adapterforge.job.OptionRanges;
import dev.adapterforge.job.UsageException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;

/**
 * Another adapterforge command run inside the pipeline's application exactly as a user would run
 * it: its options come from its own section of the same config files (one place documents each key),
 * with the pipeline's arguments on top. Parsed first, so the pipeline can fingerprint its settings
 * and decide to skip it before it runs.
 */
final class SiblingCommand {
  /** Options that say where things go or how Spark runs, never what a stage computes. */
  private static final Set<String> RUNTIME_OPTIONS = Set.of("--conf", "--master", "--root", "--help", "--version");

  private final CommandLine commandLine;
  private final String[] args;

  private SiblingCommand(CommandLine commandLine, String[] args) {
    this.commandLine = commandLine;
    this.args = args;
  }

  /**
   * @param pipeline the pipeline command's spec, whose root holds the sibling
   * @throws UsageException if the sibling's options are incomplete or wrong, naming its config section
   */
  static SiblingCommand parse(CommandSpec pipeline, String name, List<String> args) {
    CommandLine sibling = pipeline.root().subcommands().get(name);
    if (sibling == null) {
      throw new IllegalStateException("no command " + name);
    }
    String[] argv = args.toArray(String[]::new);
    try {
      sibling.parseArgs(argv);
      OptionRanges.check(sibling.getCommandSpec());
    } catch (ParameterException | UsageException e) {
      throw new UsageException(name + ": " + e.getMessage() + " (give it in the config file's '" + name + "' section)", e);
    }
    return new SiblingCommand(sibling, argv);
  }

  /**
   * This command with boolean {@code flags} on. A flag is added only where the config file has not
   * already set it: picocli flips a flag whose default is true to false when it is given.
   */
  SiblingCommand withFlagsOn(CommandSpec pipeline, String... flags) {
    List<String> argv = new ArrayList<>(List.of(args));
    for (String flag : flags) {
      if (!Boolean.TRUE.equals(option(flag))) {
        argv.add(flag);
      }
    }
    return argv.size() == args.length ? this : parse(pipeline, name(), argv);
  }

  String name() {
    return commandLine.getCommandName();
  }

  /** An option's value as parsed: from the pipeline's arguments, the config file or its default. */
  <T> T option(String name) {
    OptionSpec option = commandLine.getCommandSpec().findOption(name);
    if (option == null) {
      throw new IllegalArgumentException(name() + " has no option " + name);
    }
    return option.getValue();
  }

  /**
   * The settings that decide what the command computes, as sorted {@code --option=value} lines:
   * every option but the runtime ones and {@code ignored} (inputs the pipeline hashes by content,
   * outputs it chooses).
   */
  String settings(Collection<String> ignored) {
    Map<String, String> settings = new TreeMap<>();
    for (OptionSpec option : commandLine.getCommandSpec().options()) {
      String name = option.longestName();
      if (!RUNTIME_OPTIONS.contains(name) && !ignored.contains(name)) {
        settings.put(name, String.valueOf(option.<Object>getValue()));
      }
    }
    List<String> lines = new ArrayList<>();
    settings.forEach((name, value) -> lines.add(name + "=" + value));
    return String.join("\n", lines);
  }

  /** Runs the command in this application (its Spark jobs use the pipeline's session); returns its exit status. */
  int execute() {
    return commandLine.execute(args);
  }
}
