package dev.adapterforge.prep.conceptnet;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.adapterforge.prep.DropReason;
import java.io.Serializable;
import java.util.Optional;
import java.util.Set;

/**
 * Turns one line of the ConceptNet assertions dump (edge URI, relation, start, end, JSON; tab
 * separated, no header) into a sentence or the reason it cannot be one. Never throws on bad input.
 */
public final class AssertionClassifier implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int FIELDS = 5;
  private static final String EXTERNAL_URL_RELATION = "/r/ExternalURL";

  /**
   * What became of one line: a sentence (reason null) or a drop reason with its detail. {@code term}
   * is the start term, the part of a code-mixed sentence written in the language itself.
   */
  public record Outcome(
      String language, String edgeUri, String sentence, String term, DropReason reason, String detail) {
    static Outcome kept(String language, String edgeUri, String sentence, String term) {
      return new Outcome(language, edgeUri, sentence, term, null, null);
    }

    static Outcome dropped(String language, String edgeUri, DropReason reason, String detail) {
      return new Outcome(language, edgeUri, null, null, reason, detail);
    }

    /** This line's language and edge, dropped as malformed: its bytes are not valid UTF-8, say. */
    Outcome asMalformed(String detail) {
      return dropped(language, edgeUri, DropReason.MALFORMED, detail);
    }
  }

  private final Set<String> languages;
  private final SentenceTemplates templates;

  /** @param languages ConceptNet language codes to keep, or null for every language */
  public AssertionClassifier(Set<String> languages, SentenceTemplates templates) {
    this.languages = languages == null ? null : Set.copyOf(languages);
    this.templates = templates;
  }

  /**
   * The line's outcome, or empty when its start node is in a language not requested. A line too
   * broken to tell its language is malformed with a null language.
   */
  public Optional<Outcome> classify(String line) {
    String[] fields = line.split("\t", -1);
    String language = fields.length >= 3 ? Concept.languageOf(fields[2]) : null;
    if (language != null && !requested(language)) {
      return Optional.empty();
    }
    String edgeUri = fields[0];
    if (fields.length != FIELDS) {
      return malformed(language, edgeUri, "expected " + FIELDS + " tab-separated fields, found " + fields.length);
    }
    JsonNode info;
    try {
      info = JSON.readTree(fields[4]);
    } catch (JsonProcessingException e) {
      return malformed(language, edgeUri, "unparsable JSON: " + e.getOriginalMessage());
    }
    if (info == null || !info.isObject()) {
      return malformed(language, edgeUri, "the fifth field is not a JSON object");
    }
    Optional<Concept> start = Concept.parse(fields[2]);
    if (start.isEmpty()) {
      return malformed(language, edgeUri, "start node is not a concept URI: " + fields[2]);
    }
    String relation = fields[1];
    String end = fields[3];
    if (relation.equals(EXTERNAL_URL_RELATION) || end.startsWith("http")) {
      return dropped(language, edgeUri, DropReason.EXTERNAL_URL, end);
    }
    Optional<Concept> endConcept = Concept.parse(end);
    if (endConcept.isEmpty()) {
      return malformed(language, edgeUri, "end node is not a concept URI: " + end);
    }
    String startTerm = start.get().term();
    String endTerm = endConcept.get().term();
    JsonNode surfaceText = info.get("surfaceText");
    boolean useSurface =
        templates == SentenceTemplates.surface && surfaceText != null && surfaceText.isTextual()
            && !surfaceText.asText().isBlank();
    Optional<String> paperSentence = RelationTemplates.render(startTerm, relation, endTerm);
    if (!useSurface && paperSentence.isEmpty()) {
      return dropped(language, edgeUri, DropReason.UNMAPPED_RELATION, relation);
    }
    if (startTerm.equals(endTerm)) {
      return dropped(language, edgeUri, DropReason.SELF_LOOP, startTerm);
    }
    String sentence = useSurface ? RelationTemplates.surfaceSentence(surfaceText.asText()) : paperSentence.get();
    return Optional.of(Outcome.kept(language, edgeUri, sentence, startTerm));
  }

  private boolean requested(String language) {
    return languages == null || languages.contains(language);
  }

  private static Optional<Outcome> malformed(String language, String edgeUri, String detail) {
    return dropped(language, edgeUri, DropReason.MALFORMED, detail);
  }

  private static Optional<Outcome> dropped(String language, String edgeUri, DropReason reason, String detail) {
    return Optional.of(Outcome.dropped(language, edgeUri, reason, detail));
  }
}
