package dev.adapterforge.prep.conceptnet;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The reference paper's English predicate for each ConceptNet relation (arXiv 2502.10140, its
 * src/conceptnet/cn_to_nl.py): an edge becomes "{start} {predicate} {end}.". Relations outside this
 * table are dropped as {@code unmapped_relation}.
 */
public final class RelationTemplates {
  static final Map<String, String> PAPER_PREDICATES =
      Map.ofEntries(
          Map.entry("Antonym", "is the opposite of"),
          Map.entry("DerivedFrom", "is derived from"),
          Map.entry("EtymologicallyDerivedFrom", "is etymologically derived from"),
          Map.entry("EtymologicallyRelatedTo", "is etymologically related to"),
          Map.entry("FormOf", "is a form of"),
          Map.entry("PartOf", "is a part of"),
          Map.entry("HasA", "belongs to"),
          Map.entry("UsedFor", "is used for"),
          Map.entry("AtLocation", "is a typical location for"),
          Map.entry("Causes", "causes"),
          Map.entry("CausesDesire", "makes someone want"),
          Map.entry("MadeOf", "is made of"),
          Map.entry("ReceivesAction", "receives action of"),
          Map.entry("HasSubevent", "is a subevent of"),
          Map.entry("HasFirstSubevent", "is an event that begins with subevent"),
          Map.entry("HasLastSubevent", "is an event that concludes with subevent"),
          Map.entry("HasPrerequisite", "has prerequisite of"),
          Map.entry("HasProperty", "can be described as"),
          Map.entry("MotivatedByGoal", "is a step toward accomplishing the goal"),
          Map.entry("ObstructedBy", "is an obstacle in the way of"),
          Map.entry("Desires", "is a conscious entity that typically wants"),
          Map.entry("CreatedBy", "is a process or agent that creates"),
          Map.entry("CapableOf", "is capable of"),
          Map.entry("HasContext", "is a word used in the context of"),
          Map.entry("IsA", "is a type of"),
          Map.entry("RelatedTo", "is related to"),
          Map.entry("SimilarTo", "is similar to"),
          Map.entry("Synonym", "is a synonym of"),
          Map.entry("SymbolOf", "symbolically represents"),
          Map.entry("DefinedAs", "is a more explanatory version of"),
          Map.entry("DistinctFrom", "is distinct from"),
          Map.entry("MannerOf", "is a specific way to do"),
          Map.entry("LocatedNear", "is typically found near"));

  private static final String RELATION_PREFIX = "/r/";

  private RelationTemplates() {}

  /** The relation names the table covers, e.g. {@code IsA}, sorted. */
  public static List<String> relations() {
    return PAPER_PREDICATES.keySet().stream().sorted().toList();
  }

  /** "{start} {predicate} {end}." for a relation URI such as {@code /r/IsA}, or empty if unmapped. */
  public static Optional<String> render(String start, String relationUri, String end) {
    if (!relationUri.startsWith(RELATION_PREFIX)) {
      return Optional.empty();
    }
    String predicate = PAPER_PREDICATES.get(relationUri.substring(RELATION_PREFIX.length()));
    return Optional.ofNullable(predicate).map(p -> start + " " + p + " " + end + ".");
  }

  /**
   * An edge's own {@code surfaceText}, "[[kelb]] is a type of [[annimal]]", as a sentence: brackets
   * removed, a full stop added unless it already ends a sentence.
   */
  public static String surfaceSentence(String surfaceText) {
    String text = surfaceText.replace("[[", "").replace("]]", "").strip();
    return text.isEmpty() || ".!?。।።؟".indexOf(text.charAt(text.length() - 1)) >= 0 ? text : text + ".";
  }
}
