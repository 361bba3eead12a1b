package dev.adapterforge.ops.tokenizer;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Measures encode throughput, run by hand rather than in the build: {@code java -cp <test
 * classpath> dev.adapterforge.ops.tokenizer.TokenizerThroughput <tokenizer folder> <text file, one
 * document per line>}. Pin it with {@code taskset -c 0} and {@code RAYON_NUM_THREADS=1} to measure
 * one core, since the batch path tokenizes on the native library's own thread pool.
 */
public final class TokenizerThroughput {

  private static final int ROUNDS = 3;
  private static final int BATCH = 256;

  private TokenizerThroughput() {}

  public static void main(String[] args) throws IOException {
    List<String> documents = Files.readAllLines(Path.of(args[1]), UTF_8);
    long bytes = documents.stream().mapToLong(document -> document.getBytes(UTF_8).length).sum();
    try (Tokenizer tokenizer = Tokenizer.load(TokenizerSpec.fromFolder(Path.of(args[0])))) {
      System.out.printf("%d documents, %.1f MB, vocabulary %d%n", documents.size(), bytes / 1e6,
          tokenizer.vocabularySize());
      // the first round warms up the JIT and the native library
      for (int round = 0; round <= ROUNDS; round++) {
        long started = System.nanoTime();
        long tokens = 0;
        for (String document : documents) {
          tokens += tokenizer.encode(document).length;
        }
        report(round, "encode", tokens, documents.size(), bytes, System.nanoTime() - started);

        started = System.nanoTime();
        tokens = 0;
        for (int from = 0; from < documents.size(); from += BATCH) {
          List<String> batch = documents.subList(from, Math.min(from + BATCH, documents.size()));
          for (int[] ids : tokenizer.encodeBatch(batch)) {
            tokens += ids.length;
          }
        }
        report(round, "encodeBatch", tokens, documents.size(), bytes, System.nanoTime() - started);
      }
    }
  }

  private static void report(int round, String method, long tokens, int documents, long bytes,
      long nanos) {
    double seconds = nanos / 1e9;
    System.out.printf("%s %-11s %.2f s: %,.0f tokens/s, %,.0f documents/s, %.2f MB/s%n",
        round == 0 ? "warm-up" : "round " + round, method, seconds, tokens / seconds,
        documents / seconds, bytes / 1e6 / seconds);
  }
}
