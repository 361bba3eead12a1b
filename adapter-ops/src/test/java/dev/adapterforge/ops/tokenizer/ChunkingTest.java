package dev.adapterforge.ops.tokenizer;

import static dev.adapterforge.ops.tokenizer.Fixtures.udhrArticle1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Long texts become several model-sized sequences, each with [CLS] and [SEP], none truncated. */
class ChunkingTest {

  private static Tokenizer tokenizer;
  private static int cls;
  private static int sep;

  @BeforeAll
  static void load() {
    tokenizer = Tokenizer.load(TokenizerSpec.fromFolder(Fixtures.WORDPIECE));
    cls = tokenizer.specialTokens().cls();
    sep = tokenizer.specialTokens().sep();
  }

  @AfterAll
  static void close() {
    tokenizer.close();
  }

  @Test
  void everyTokenLandsInExactlyOneChunkInOrder() {
    String text = udhrArticle1("eng");
    int[] whole = tokenizer.encode(text);
    int[] textTokens = Arrays.copyOfRange(whole, 1, whole.length - 1);
    assertEquals(38, textTokens.length);

    List<int[]> chunks = tokenizer.chunk(text, 8);

    // 6 text tokens fit beside [CLS] and [SEP]: 38 = 6 * 6 + 2
    assertEquals(7, chunks.size());
    for (int[] chunk : chunks) {
      assertTrue(chunk.length <= 8, Arrays.toString(chunk));
      assertEquals(cls, chunk[0]);
      assertEquals(sep, chunk[chunk.length - 1]);
    }
    assertEquals(4, chunks.get(6).length);
    assertArrayEquals(textTokens, chunks.stream()
        .flatMapToInt(chunk -> Arrays.stream(chunk, 1, chunk.length - 1))
        .toArray());
  }

  @Test
  void chunksFillUpExactlyWhenTheTextDividesEvenly() {
    List<int[]> chunks = tokenizer.chunk(udhrArticle1("eng"), 21);

    assertEquals(List.of(21, 21), chunks.stream().map(chunk -> chunk.length).toList());
  }

  @Test
  void aTextThatFitsIsOneChunkEqualToItsEncoding() {
    String text = udhrArticle1("sun");
    int[] whole = tokenizer.encode(text);

    assertArrayEquals(whole, tokenizer.chunk(text, whole.length).get(0));
    assertEquals(1, tokenizer.chunk(text, whole.length).size());
    assertEquals(2, tokenizer.chunk(text, whole.length - 1).size());
  }

  @Test
  void anEmptyTextIsOneChunkOfSpecialTokens() {
    List<int[]> chunks = tokenizer.chunk("", 128);

    assertEquals(1, chunks.size());
    assertArrayEquals(new int[] {cls, sep}, chunks.get(0));
  }

  @Test
  void maxLengthMustLeaveRoomForText() {
    assertThrows(IllegalArgumentException.class, () -> tokenizer.chunk("All", 2));
    assertEquals(38, tokenizer.chunk(udhrArticle1("eng"), 3).size());
  }

  @Test
  void batchChunksEachTextAsAlone() {
    List<String> texts = List.of(udhrArticle1("eng"), "", udhrArticle1("yor"), udhrArticle1("amh"));

    List<List<int[]>> batch = tokenizer.chunkBatch(texts, 16);

    assertEquals(texts.size(), batch.size());
    IntStream.range(0, texts.size()).forEach(i -> {
      List<int[]> alone = tokenizer.chunk(texts.get(i), 16);
      assertEquals(alone.size(), batch.get(i).size(), texts.get(i));
      IntStream.range(0, alone.size())
          .forEach(c -> assertArrayEquals(alone.get(c), batch.get(i).get(c), texts.get(i)));
    });
  }
}
