package dev.adapterforge.prep;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a prep run read, kept and dropped, per language, and how well the tokenizer covers each: the
 * content of stats.json. Every record is counted once, so {@code input == kept + sum(dropped)} holds
 * for each language ({@link #conservationViolations()}).
 */
public final class CorpusStats {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

  /** Sequences and tokens of one split of one language. */
  public record SplitCounts(long documents, long sequences, long tokens) {}

  /** How much of a language's kept text the vocabulary can spell; special tokens not counted. */
  public record Coverage(long tokens, long unkTokens, long characters, long unkCharacters) {
    public double unkTokenShare() {
      return tokens == 0 ? 0 : (double) unkTokens / tokens;
    }

    public double unkCharacterShare() {
      return characters == 0 ? 0 : (double) unkCharacters / characters;
    }
  }

  /** One language's counts. {@code script} is the dominant Unicode script of its kept text. */
  public record LanguageStats(
      long input, long kept, Map<String, Long> dropped, Map<String, SplitCounts> splits, Coverage coverage, String script) {
    public long droppedTotal() {
      return dropped.values().stream().mapToLong(Long::longValue).sum();
    }
  }

  private final String inputCountName;
  private final Map<String, Object> run;
  private final Map<String, Long> totals;
  private final Map<String, LanguageStats> languages;

  /**
   * @param inputCountName what one input unit is called: {@code input_rows}, {@code input_lines}
   * @param run the run's settings and lineage (input, tokenizer checksum, seed, ...)
   * @param totals corpus-wide counts that belong to no language (lines in other languages, ...)
   */
  public CorpusStats(
      String inputCountName, Map<String, Object> run, Map<String, Long> totals, Map<String, LanguageStats> languages) {
    this.inputCountName = inputCountName;
    this.run = new LinkedHashMap<>(run);
    this.totals = new LinkedHashMap<>(totals);
    this.languages = new TreeMap<>(languages);
  }

  public Map<String, LanguageStats> languages() {
    return languages;
  }

  /** Languages whose input differs from kept plus dropped: must be empty. */
  public List<String> conservationViolations() {
    List<String> violations = new ArrayList<>();
    languages.forEach(
        (language, s) -> {
          if (s.input() != s.kept() + s.droppedTotal()) {
            violations.add(language + ": " + inputCountName + " " + s.input() + " != kept " + s.kept() + " + dropped " + s.droppedTotal());
          }
        });
    return violations;
  }

  public long keptTotal() {
    return languages.values().stream().mapToLong(LanguageStats::kept).sum();
  }

  /** Where the records went, for a message: {@code "sun-Latn: 3 malformed, 1 empty; malformed_unattributed 1534"}. */
  public String dropSummary() {
    List<String> parts = new ArrayList<>();
    languages.forEach((language, s) -> {
      List<String> reasons = new ArrayList<>();
      s.dropped().forEach((reason, count) -> {
        if (count > 0) {
          reasons.add(count + " " + reason);
        }
      });
      parts.add(language + ": " + (reasons.isEmpty() ? "no records" : String.join(", ", reasons)));
    });
    totals.forEach((name, count) -> parts.add(name + " " + count));
    return String.join("; ", parts);
  }

  /** Languages whose [UNK] token share is above {@code threshold}, as "language (script): share". */
  public List<String> poorlyCovered(double threshold) {
    List<String> flagged = new ArrayList<>();
    languages.forEach(
        (language, s) -> {
          if (s.coverage().unkTokenShare() > threshold) {
            flagged.add(
                String.format(
                    "%s (script %s): %.1f%% of tokens are [UNK], %.1f%% of characters",
                    language, s.script(), 100 * s.coverage().unkTokenShare(), 100 * s.coverage().unkCharacterShare()));
          }
        });
    return flagged;
  }

  public String toJson() {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("run", run);
    root.put("totals", totals);
    Map<String, Object> perLanguage = new LinkedHashMap<>();
    languages.forEach(
        (language, s) -> {
          Map<String, Object> entry = new LinkedHashMap<>();
          entry.put(inputCountName, s.input());
          entry.put("kept", s.kept());
          entry.put("dropped", new TreeMap<>(s.dropped()));
          entry.put("splits", s.splits());
          Map<String, Object> coverage = new LinkedHashMap<>();
          coverage.put("script", s.script());
          coverage.put("tokens", s.coverage().tokens());
          coverage.put("unk_tokens", s.coverage().unkTokens());
          coverage.put("unk_token_share", s.coverage().unkTokenShare());
          coverage.put("characters", s.coverage().characters());
          coverage.put("unk_characters", s.coverage().unkCharacters());
          coverage.put("unk_character_share", s.coverage().unkCharacterShare());
          entry.put("coverage", coverage);
          perLanguage.put(language, entry);
        });
    root.put("languages", perLanguage);
    try {
      return JSON.writeValueAsString(root);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("stats are plain maps and records", e);
    }
  }
}
