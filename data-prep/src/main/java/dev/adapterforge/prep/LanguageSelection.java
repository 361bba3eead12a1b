package dev.adapterforge.prep;

import dev.adapterforge.job.UsageException;
import java.util.List;
import java.util.regex.Pattern;

/** A {@code --languages} value: codes in a corpus's own spelling, or {@code all}. */
public final class LanguageSelection {
  public static final String ALL = "all";

  private LanguageSelection() {}

  /**
   * Checks every code against {@code code} (the corpus's spelling, shown as {@code example}); {@code
   * all} stands alone.
   */
  public static List<String> check(List<String> languages, Pattern code, String example) {
    if (languages.contains(ALL)) {
      if (languages.size() > 1) {
        throw new UsageException("--languages: '" + ALL + "' cannot be combined with codes");
      }
      return languages;
    }
    for (String language : languages) {
      if (!code.matcher(language).matches()) {
        throw new UsageException("--languages: '" + language + "' is not a language code like " + example);
      }
    }
    return languages;
  }

  public static boolean isAll(List<String> languages) {
    return languages.equals(List.of(ALL));
  }
}
