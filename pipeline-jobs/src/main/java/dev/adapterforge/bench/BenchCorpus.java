package dev.adapterforge.bench;

import dev.adapterforge.job.UsageException;
import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Real words to build large benchmark corpora from: the UDHR paragraphs the samples ship. A generated
 * document is seeded random sentences of a language's words, so documents are as unlike each other as
 * distinct web pages; one in 50 repeats the document before it and one in 50 nearly repeats one, so
 * deduplication has real work.
 */
final class BenchCorpus implements Serializable {
  private static final long serialVersionUID = 1L;
  static final String DEFAULT_PARAGRAPHS = "data-prep/samples/udhr/paragraphs.tsv";

  private final Map<String, List<String>> words;

  private BenchCorpus(Map<String, List<String>> words) {
    this.words = words;
  }

  static BenchCorpus load(Path paragraphs) {
    if (!Files.isRegularFile(paragraphs)) {
      throw new UsageException("--paragraphs: no such file: " + paragraphs);
    }
    try {
      Map<String, List<String>> words = new LinkedHashMap<>();
      for (String line : Files.readAllLines(paragraphs, StandardCharsets.UTF_8)) {
        if (line.startsWith("#") || line.isBlank()) {
          continue;
        }
        String[] fields = line.split("\t", 3);
        for (String word : fields[2].split("[\\s\\p{P}፡።]+")) {
          if (!word.isEmpty()) {
            words.computeIfAbsent(fields[0], l -> new ArrayList<>()).add(word);
          }
        }
      }
      return new BenchCorpus(words);
    } catch (IOException e) {
      throw new UsageException("--paragraphs: cannot read " + paragraphs + ": " + e.getMessage(), e);
    }
  }

  List<String> languages() {
    return List.copyOf(words.keySet());
  }

  /** Document {@code index} of {@code language}: the same text for the same index and seed, anywhere. */
  String document(String language, long index, long seed, int targetBytes) {
    if (index % 50 == 1) {
      return document(language, index - 1, seed, targetBytes);
    }
    if (index % 50 == 2) {
      return document(language, index - 2, seed, targetBytes) + " " + word(language, new SplittableRandom(index));
    }
    SplittableRandom random = new SplittableRandom(seed * 1_000_003L + index * 31 + language.hashCode());
    StringBuilder text = new StringBuilder();
    while (text.length() < targetBytes) {
      int length = 5 + random.nextInt(16);
      for (int w = 0; w < length; w++) {
        text.append(word(language, random)).append(w + 1 < length ? " " : ".");
      }
      text.append(random.nextInt(4) == 0 ? "\n" : " ");
    }
    return text.toString().strip();
  }

  private String word(String language, SplittableRandom random) {
    List<String> pool = words.get(language);
    return pool.get(random.nextInt(pool.size()));
  }
}
