package dev.adapterforge.prep.conceptnet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adapterforge.prep.DropReason;
import dev.adapterforge.prep.conceptnet.AssertionClassifier.Outcome;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AssertionClassifierTest {
  private static final String INFO = "{\"dataset\": \"/d/wiktionary/en\", \"weight\": 1.0}";
  private final AssertionClassifier paper = new AssertionClassifier(Set.of("mt", "am"), SentenceTemplates.paper);
  private final AssertionClassifier surface = new AssertionClassifier(Set.of("mt"), SentenceTemplates.surface);

  private static String line(String relation, String start, String end, String info) {
    return "/a/[" + relation + "/," + start + "/," + end + "/]\t" + relation + "\t" + start + "\t" + end + "\t" + info;
  }

  @Test
  void termIsTheFourthSegmentNeverThePosTag() {
    assertEquals(Optional.of(new Concept("mt", "kelb")), Concept.parse("/c/mt/kelb/n"));
    assertEquals(Optional.of(new Concept("sw", "mti mkubwa")), Concept.parse("/c/sw/mti_mkubwa/n/wn/plant"));
    assertEquals(Optional.empty(), Concept.parse("/c/mt"));
    assertEquals(Optional.empty(), Concept.parse("/c/mt/"));
    assertEquals(Optional.empty(), Concept.parse("http://example.org/kelb"));
  }

  @Test
  void edgesBecomeThePapersSentences() {
    Outcome kept = paper.classify(line("/r/IsA", "/c/mt/kelb/n", "/c/mt/annimal", INFO)).orElseThrow();
    assertEquals("kelb is a type of annimal.", kept.sentence());
    assertEquals("mt", kept.language());
    assertNull(kept.reason());

    assertEquals(
        "ውሻ is a synonym of dog.",
        paper.classify(line("/r/Synonym", "/c/am/ውሻ/n", "/c/en/dog", INFO)).orElseThrow().sentence());
    assertEquals(33, RelationTemplates.PAPER_PREDICATES.size());
  }

  @Test
  void surfaceModeUsesTheEdgesOwnPhrasingAndFallsBackToThePaper() {
    String withSurface = "{\"surfaceText\": \"[[abjad]] huwa l-oppost ta' [[iswed]]\"}";
    assertEquals(
        "abjad huwa l-oppost ta' iswed.",
        surface.classify(line("/r/Antonym", "/c/mt/abjad", "/c/mt/iswed", withSurface)).orElseThrow().sentence());
    assertEquals(
        "abjad is the opposite of iswed.",
        surface.classify(line("/r/Antonym", "/c/mt/abjad", "/c/mt/iswed", INFO)).orElseThrow().sentence());
  }

  @Test
  void eachUnusableEdgeHasItsReason() {
    assertReason(DropReason.EXTERNAL_URL, line("/r/ExternalURL", "/c/mt/kelb", "http://mt.wiktionary.org/wiki/kelb", INFO));
    assertReason(DropReason.UNMAPPED_RELATION, line("/r/dbpedia/genre", "/c/mt/muzika", "/c/mt/arti", INFO));
    assertReason(DropReason.SELF_LOOP, line("/r/FormOf", "/c/mt/klieb/n", "/c/mt/klieb", INFO));
    assertReason(DropReason.MALFORMED, line("/r/IsA", "/c/mt/qattus", "/c/mt/annimal", "{\"dataset\": "));
    assertReason(DropReason.MALFORMED, "/a/x\t/r/IsA\t/c/mt/ħmar\t/c/mt/annimal");
    assertReason(DropReason.MALFORMED, line("/r/IsA", "/c/mt/", "/c/mt/annimal", INFO));
  }

  @Test
  void otherLanguagesAreSkippedAndUnreadableLinesHaveNoLanguage() {
    assertEquals(Optional.empty(), paper.classify(line("/r/IsA", "/c/en/dog", "/c/en/animal", INFO)));
    assertEquals(Optional.empty(), paper.classify("/a/x\t/r/IsA\t/c/de/hund"));

    Outcome garbage = paper.classify("garbage without any tabs").orElseThrow();
    assertEquals(DropReason.MALFORMED, garbage.reason());
    assertNull(garbage.language());
    assertTrue(garbage.detail().contains("found 1"), garbage.detail());
  }

  private void assertReason(DropReason expected, String line) {
    Outcome outcome = paper.classify(line).orElseThrow();
    assertEquals(expected, outcome.reason(), line);
    assertEquals("mt", outcome.language());
  }
}
