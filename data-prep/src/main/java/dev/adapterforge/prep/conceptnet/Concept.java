package dev.adapterforge.prep.conceptnet;

import java.util.Optional;

/**
 * A ConceptNet concept URI, {@code /c/{language}/{term}[/{pos}[/{sense}...]]}. The term is the fourth
 * '/'-segment with '_' for spaces: {@code /c/mt/kelb/n} is "kelb", never its POS tag "n".
 */
public record Concept(String language, String term) {
  private static final String PREFIX = "/c/";

  /** The concept, or empty when {@code uri} is not a concept URI with a language and a term. */
  public static Optional<Concept> parse(String uri) {
    if (!uri.startsWith(PREFIX)) {
      return Optional.empty();
    }
    String[] segments = uri.split("/", 5); // "", "c", language, term, rest
    if (segments.length < 4 || segments[2].isEmpty() || segments[3].isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new Concept(segments[2], segments[3].replace('_', ' ')));
  }

  /** The language of a start-node URI, without validating the rest; null when there is none. */
  public static String languageOf(String uri) {
    if (!uri.startsWith(PREFIX)) {
      return null;
    }
    int end = uri.indexOf('/', PREFIX.length());
    String language = end < 0 ? uri.substring(PREFIX.length()) : uri.substring(PREFIX.length(), end);
    return language.isEmpty() ? null : language;
  }
}
