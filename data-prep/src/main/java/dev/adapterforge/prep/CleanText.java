package dev.adapterforge.prep;

import java.text.Normalizer;
import java.util.regex.Pattern;

/**
 * Text as training data and as a duplicate key: Unicode NFC, so that composed and decomposed
 * spellings of a letter are one text; runs of white space folded.
 */
public final class CleanText {
  private static final Pattern SPACES = Pattern.compile("[\\p{Z}\\s&&[^\\n]]+", Pattern.UNICODE_CHARACTER_CLASS);
  private static final Pattern BLANK_LINES = Pattern.compile("\\n(\\s*\\n)+");
  private static final Pattern ANY_WHITESPACE = Pattern.compile("[\\p{Z}\\s]+", Pattern.UNICODE_CHARACTER_CLASS);

  private CleanText() {}

  /** NFC, spaces and tabs folded to one space within each line, blank lines and line-edge spaces removed. */
  public static String document(String text) {
    String nfc = Normalizer.normalize(text.replace("\r\n", "\n").replace('\r', '\n'), Normalizer.Form.NFC);
    String folded = SPACES.matcher(nfc).replaceAll(" ").replace(" \n", "\n").replace("\n ", "\n");
    return BLANK_LINES.matcher(folded).replaceAll("\n").strip();
  }

  /** The exact-duplicate key: NFC with every run of white space, line breaks included, one space. */
  public static String duplicateKey(String text) {
    return ANY_WHITESPACE.matcher(Normalizer.normalize(text, Normalizer.Form.NFC)).replaceAll(" ").strip();
  }
}
