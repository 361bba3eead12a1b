package dev.adapterforge.job;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * A HOCON config file: one section per command, named as on the command line, whose keys are that
 * command's long option names without dashes, plus a {@code spark} section of Spark settings without
 * their {@code spark.} prefix. Options given on the command line override the file.
 *
 * <pre>
 * spark { sql.shuffle.partitions = 8 }
 * prep-conceptnet { input = "data/assertions.csv.gz", languages = [mt, sw] }
 * </pre>
 */
public final class ConfigFile implements CommandLine.IDefaultValueProvider {
  public static final String SPARK_SECTION = "spark";

  private final Path path;
  private final Config config;

  private ConfigFile(Path path, Config config) {
    this.path = path;
    this.config = config;
  }

  public static ConfigFile load(Path path) {
    if (!Files.isRegularFile(path)) {
      throw new UsageException("--conf: config file not found: " + path);
    }
    try {
      Config parsed = ConfigFactory.parseFile(path.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
      return new ConfigFile(path, parsed.resolve());
    } catch (ConfigException e) {
      // Typesafe Config names the file and line itself
      throw new UsageException(e.getMessage(), e);
    }
  }

  public Path path() {
    return path;
  }

  /** The {@code spark} section as full Spark keys, e.g. {@code spark.sql.shuffle.partitions}. */
  public Map<String, String> sparkSettings() {
    Map<String, String> settings = new LinkedHashMap<>();
    if (config.hasPath(SPARK_SECTION)) {
      for (Map.Entry<String, ConfigValue> e : config.getConfig(SPARK_SECTION).entrySet()) {
        settings.put("spark." + e.getKey(), scalar(SPARK_SECTION + "." + e.getKey(), e.getValue()));
      }
    }
    return settings;
  }

  /**
   * Fails, naming the key, on any section or key that no command of {@code root} declares, so a typo
   * never goes unnoticed as an ignored setting.
   */
  public void validateAgainst(CommandSpec root) {
    for (String key : config.root().keySet()) {
      if (key.equals(SPARK_SECTION)) {
        continue;
      }
      CommandLine sub = root.subcommands().get(key);
      if (sub == null) {
        throw unknown(key, "no such command; sections are 'spark' or one of " + root.subcommands().keySet());
      }
      validateSection(sub.getCommandSpec(), List.of(key));
    }
  }

  private void validateSection(CommandSpec command, List<String> sectionPath) {
    ConfigValue section = config.getValue(ConfigUtil.joinPath(sectionPath));
    if (section.valueType() != ConfigValueType.OBJECT) {
      throw unknown(String.join(".", sectionPath), "must be a section { ... } of options");
    }
    for (String key : ((ConfigObject) section).keySet()) {
      List<String> keyPath = new ArrayList<>(sectionPath);
      keyPath.add(key);
      CommandLine sub = command.subcommands().get(key);
      if (sub != null) {
        validateSection(sub.getCommandSpec(), keyPath);
      } else if (key.equals("conf")) {
        throw unknown(String.join(".", keyPath), "put Spark settings in the 'spark' section");
      } else if (command.findOption("--" + key) == null) {
        throw unknown(
            String.join(".", keyPath),
            "'" + command.qualifiedName() + "' has no option --" + key);
      }
    }
  }

  @Override
  public String defaultValue(ArgSpec arg) {
    if (!(arg instanceof OptionSpec option) || !option.longestName().startsWith("--")) {
      return null;
    }
    List<String> keyPath = commandPath(arg.command());
    keyPath.add(option.longestName().substring(2));
    String key = ConfigUtil.joinPath(keyPath);
    return config.hasPath(key) ? scalarOrList(key, config.getValue(key)) : null;
  }

  private static List<String> commandPath(CommandSpec command) {
    List<String> path = new ArrayList<>();
    for (CommandSpec c = command; c.parent() != null; c = c.parent()) {
      path.add(0, c.name());
    }
    return path;
  }

  private String scalarOrList(String key, ConfigValue value) {
    if (value.valueType() == ConfigValueType.LIST) {
      List<?> items = (List<?>) value.unwrapped();
      return items.stream().map(String::valueOf).collect(Collectors.joining(","));
    }
    return scalar(key, value);
  }

  private String scalar(String key, ConfigValue value) {
    if (value.valueType() == ConfigValueType.OBJECT || value.valueType() == ConfigValueType.LIST) {
      throw new UsageException(path + ": " + key + ": expected a single value, found a " + value.valueType().name().toLowerCase());
    }
    return Optional.ofNullable(value.unwrapped()).map(String::valueOf).orElse("");
  }

  private UsageException unknown(String key, String why) {
    return new UsageException(path + ": unknown key '" + key + "': " + why);
  }
}
