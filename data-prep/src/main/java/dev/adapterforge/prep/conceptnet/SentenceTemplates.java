package dev.adapterforge.prep.conceptnet;

/** How an edge becomes a sentence ({@code --templates}). */
public enum SentenceTemplates {
  /** "{start} {predicate} {end}." with the reference paper's English predicates. */
  paper,
  /** The edge's own surfaceText when it has one (native phrasing, no code-mixing), else {@link #paper}. */
  surface
}
