package dev.adapterforge.registry;

import dev.adapterforge.job.UsageException;
import java.util.regex.Pattern;

/**
 * The one rule for registry names, which become folder names under the registry root: a letter or
 * digit, then letters, digits, {@code .}, {@code _} and {@code -}, no {@code ..}, at most
 * {@value #MAX_LENGTH} characters. A name can therefore never climb out of its folder or nest
 * folders, and never looks like the registry's own hidden staging folders.
 */
public final class RegistryName {
  public static final int MAX_LENGTH = 128;
  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

  private RegistryName() {}

  /**
   * @param source where the name came from, for the message: an option or a config file's key
   * @return {@code name}
   * @throws UsageException naming {@code source} and the rule broken
   */
  public static String require(String name, String source) {
    if (name == null || name.isEmpty()) {
      throw new UsageException(source + ": the registry name is empty");
    }
    if (name.length() > MAX_LENGTH) {
      throw new UsageException(source + ": registry name of " + name.length() + " characters; at most " + MAX_LENGTH);
    }
    if (!VALID.matcher(name).matches() || name.contains("..")) {
      throw new UsageException(
          source + ": '" + printable(name) + "' is not a registry name: letters, digits, '.', '_' and '-' only,"
              + " starting with a letter or digit, no '..'");
    }
    return name;
  }

  /** Control characters shown as escapes, so a hostile name cannot rewrite the terminal's line. */
  private static String printable(String name) {
    StringBuilder shown = new StringBuilder();
    name.codePoints().forEach(c -> {
      if (Character.isISOControl(c)) {
        shown.append(String.format("\\u%04x", c));
      } else {
        shown.appendCodePoint(c);
      }
    });
    return shown.toString();
  }
}
