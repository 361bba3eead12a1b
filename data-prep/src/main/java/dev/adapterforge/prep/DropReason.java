package dev.adapterforge.prep;

/**
 * Why a corpus record is not training data. Every dropped record is counted under one reason in
 * stats.json and kept, with its reason, in the quarantine output.
 */
public enum DropReason {
  /** The record cannot be read or parsed: wrong field count, bad JSON, an unreadable file. */
  MALFORMED,
  /** No text: null, empty or whitespace only. */
  EMPTY,
  /** The record's language label is not the language it was filed under. */
  WRONG_LANGUAGE,
  /** GlotCC flagged the document with a warning the job drops. */
  QUALITY_WARNING,
  /** The same text, after normalisation, as a record kept before it. */
  EXACT_DUPLICATE,
  /** Text too similar to a kept record (MinHash LSH). */
  NEAR_DUPLICATE,
  /** Usable, but over the language's {@code --max-train-bytes} budget for the train split. */
  TRAIN_CAP,
  /** A ConceptNet edge to an external URL rather than a concept. */
  EXTERNAL_URL,
  /** A ConceptNet relation the sentence templates do not cover. */
  UNMAPPED_RELATION,
  /** A ConceptNet edge from a term to itself. */
  SELF_LOOP,
  /** A ConceptNet edge rendering the same sentence as one kept before it. */
  DUPLICATE;

  /** The name in stats.json and the quarantine output, e.g. {@code near_duplicate}. */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
