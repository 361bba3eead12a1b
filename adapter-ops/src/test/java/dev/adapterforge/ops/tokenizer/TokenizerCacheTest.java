package dev.adapterforge.ops.tokenizer;

import static dev.adapterforge.ops.tokenizer.Fixtures.udhrArticle1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** What an executor JVM sees: specs arriving serialized, many task threads, one tokenizer. */
class TokenizerCacheTest {

  @Test
  void equalSpecsShareOneTokenizerAcrossSerialization() throws Exception {
    TokenizerSpec spec = TokenizerSpec.fromFolder(Fixtures.WORDPIECE);
    TokenizerSpec shipped = roundTrip(spec);

    assertNotSame(spec, shipped);
    assertSame(TokenizerCache.get(spec), TokenizerCache.get(shipped));
    assertSame(TokenizerCache.get(spec),
        TokenizerCache.get(TokenizerSpec.fromFolder(Fixtures.WORDPIECE)));
    assertNotSame(TokenizerCache.get(spec),
        TokenizerCache.get(TokenizerSpec.fromFolder(Fixtures.WORDPIECE, true)));
  }

  @Test
  void concurrentTasksGetOneTokenizerAndTheSameIds() throws Exception {
    TokenizerSpec spec = TokenizerSpec.fromFolder(Fixtures.UNIGRAM);
    List<String> texts = List.of(udhrArticle1("sun"), udhrArticle1("amh"), "Sakumna jalma.");
    ExecutorService tasks = Executors.newFixedThreadPool(4);
    try {
      Callable<Tokenizer> task = () -> {
        Tokenizer tokenizer = TokenizerCache.get(roundTrip(spec));
        for (int i = 0; i < 200; i++) {
          String text = texts.get(i % texts.size());
          assertArrayEquals(tokenizer.encodeBatch(List.of(text)).get(0), tokenizer.encode(text));
        }
        return tokenizer;
      };
      List<Future<Tokenizer>> results =
          tasks.invokeAll(IntStream.range(0, 8).mapToObj(i -> task).toList());

      Set<Tokenizer> distinct =
          results.stream().map(TokenizerCacheTest::result).collect(Collectors.toSet());
      assertEquals(Set.of(TokenizerCache.get(spec)), distinct);
    } finally {
      tasks.shutdownNow();
    }
  }

  private static Tokenizer result(Future<Tokenizer> future) {
    try {
      return future.get();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static TokenizerSpec roundTrip(TokenizerSpec spec)
      throws IOException, ClassNotFoundException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(spec);
    }
    try (ObjectInputStream in =
        new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      return (TokenizerSpec) in.readObject();
    }
  }
}
