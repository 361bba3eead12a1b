package dev.adapterforge.bench;

import dev.adapterforge.job.UsageException;
import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Real sentences to build large benchmark corpora from: the UDHR paragraphs the samples ship. A
 * generated document is a seeded, shuffled selection of a language's sentences with some words
 * repeated, so documents differ the way web text does and deduplication has real work.
 */
final class BenchCorpus implements Serializable {
  private static final long serialVersionUID = 1L;
  static final String DEFAULT_PARAGRAPHS = "data-prep/samples/udhr/paragraphs.tsv";

  private final Map<String, List<String>> sentences;

  private BenchCorpus(Map<String, List<String>> sentences) {
    this.sentences = sentences;
  }

  static BenchCorpus load(Path paragraphs) {
    if (!Files.isRegularFile(paragraphs)) {
      throw new UsageException("--paragraphs: no such file: " + paragraphs);
    }
    try {
      Map<String, List<String>> sentences = new LinkedHashMap<>();
      for (String line : Files.readAllLines(paragraphs, StandardCharsets.UTF_8)) {
        if (line.startsWith("#") || line.isBlank()) {
          continue;
        }
        String[] fields = line.split("\t", 3);
        for (String sentence : fields[2].split("(?<=[.!?።])\\s+")) {
          sentences.computeIfAbsent(fields[0], l -> new ArrayList<>()).add(sentence);
        }
      }
      return new BenchCorpus(sentences);
    } catch (IOException e) {
      throw new UsageException("--paragraphs: cannot read " + paragraphs + ": " + e.getMessage(), e);
    }
  }

  List<String> languages() {
    return List.copyOf(sentences.keySet());
  }

  /** Document {@code index} of {@code language}: the same text for the same index and seed, anywhere. */
  String document(String language, long index, long seed, int targetBytes) {
    SplittableRandom random = new SplittableRandom(seed * 1_000_003L + index * 31 + language.hashCode());
    List<String> pool = new ArrayList<>(sentences.get(language));
    Collections.shuffle(pool, new java.util.Random(random.nextLong()));
    StringBuilder text = new StringBuilder();
    for (int i = 0; text.length() < targetBytes; i = (i + 1) % pool.size()) {
      String[] words = pool.get(i).split(" ");
      for (String word : words) {
        text.append(word).append(random.nextInt(8) == 0 ? " " + word + " " : " ");
      }
      text.setLength(text.length() - 1);
      text.append(random.nextInt(3) == 0 ? "\n" : " ");
    }
    return text.toString().strip();
  }
}
