package dev.adapterforge.ops.tokenizer;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import ai.djl.huggingface.tokenizers.jni.TokenizersLibrary;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns text into the token ids a BERT-family masked language model reads, exactly as the Hugging
 * Face tokenizer its {@link TokenizerSpec} defines would: same normalization, pre-tokenization,
 * subwords and special tokens, computed by the Rust Hugging Face tokenizers through DJL.
 *
 * <p>Never truncates: {@link #encode} keeps every token, {@link #chunk} splits a long text into
 * model-sized sequences that each carry their own special tokens. Thread-safe. Holds a native
 * handle, so it is not serializable: ship the spec and take the tokenizer from {@link
 * TokenizerCache} on the executor. One created with {@link #load} is the caller's to close.
 */
public final class Tokenizer implements AutoCloseable {

  static {
    // Unless told otherwise, DJL queries the EC2 metadata endpoint on first use (telemetry) and, on
    // hosts with a recent CUDA GPU, downloads a GPU build of the native library instead of
    // extracting the CPU build its jar bundles. Executors must do neither; offline mode stops both.
    if (System.getenv("DJL_OFFLINE") == null && System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
  }

  private static final Logger LOG = LoggerFactory.getLogger(Tokenizer.class);

  // DJL's Encoding copies every token's string and character span out of the native encoding;
  // asking for the ids alone nearly doubled throughput (measured), so the hot paths call the
  // binding DJL's own classes use.
  private static final TokenizersLibrary NATIVE = TokenizersLibrary.LIB;

  // Whatever truncation or padding a tokenizer.json asks for: ids are chunked, never cut, and
  // padding is the collator's job.
  private static final Map<String, String> ENGINE_OPTIONS =
      Map.of("truncation", "false", "padding", "false");

  // Any text of at least one token of its own, to see where the post-processor puts the text.
  private static final String PROBE_TEXT = "a";

  private final String sha256;
  private final Vocabulary vocabulary;
  private final HuggingFaceTokenizer engine;
  // The special tokens the post-processor puts before and after one text: [CLS] and [SEP] for
  // BERT, <s> and </s> for XLM-R.
  private final int[] prefix;
  private final int[] suffix;

  private Tokenizer(
      String sha256, Vocabulary vocabulary, HuggingFaceTokenizer engine, int[] prefix,
      int[] suffix) {
    this.sha256 = sha256;
    this.vocabulary = vocabulary;
    this.engine = engine;
    this.prefix = prefix;
    this.suffix = suffix;
  }

  /**
   * Builds a tokenizer from its spec; on executors use {@link TokenizerCache#get} instead, which
   * builds it once per JVM.
   *
   * @throws IllegalArgumentException if the vocabulary lacks a special token MLM needs, or the
   *     post-processor does not put special tokens around a text; a definition the native library
   *     rejects surfaces as its RuntimeException
   */
  public static Tokenizer load(TokenizerSpec spec) {
    long started = System.nanoTime();
    String json = spec.tokenizerJson();
    Vocabulary vocabulary = Vocabulary.of(json);
    HuggingFaceTokenizer engine;
    try {
      engine = HuggingFaceTokenizer.newInstance(
          new ByteArrayInputStream(json.getBytes(UTF_8)), ENGINE_OPTIONS);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read tokenizer.json from memory", e);
    }
    try {
      long handle = engine.getHandle();
      // The post-processor is the authority on special tokens: learn its wrapping from itself.
      int[] wrapped = ids(handle, PROBE_TEXT, true);
      int[] text = ids(handle, PROBE_TEXT, false);
      int start = textStart(wrapped, text);
      Tokenizer tokenizer = new Tokenizer(spec.sha256(), vocabulary, engine,
          Arrays.copyOfRange(wrapped, 0, start),
          Arrays.copyOfRange(wrapped, start + text.length, wrapped.length));
      LOG.info("Loaded tokenizer {}: {} tokens, {} in {} ms", tokenizer.sha256,
          vocabulary.size(), vocabulary.specialTokens(), (System.nanoTime() - started) / 1_000_000);
      return tokenizer;
    } catch (RuntimeException e) {
      engine.close();
      throw e;
    }
  }

  private static int textStart(int[] wrapped, int[] text) {
    if (text.length > 0) {
      for (int start = 0; start + text.length <= wrapped.length; start++) {
        if (Arrays.equals(wrapped, start, start + text.length, text, 0, text.length)) {
          return start;
        }
      }
    }
    throw new IllegalArgumentException(
        "the post-processor does not wrap a text in special tokens: " + Arrays.toString(wrapped)
            + " for " + Arrays.toString(text));
  }

  /** The text's ids between its special tokens ({@code [CLS] … [SEP]}), every token kept. */
  public int[] encode(String text) {
    int[] ids = ids(engine.getHandle(), text, false);
    return wrap(ids, 0, ids.length);
  }

  /** {@link #encode} of each text, tokenized in parallel by the native library's thread pool. */
  public List<int[]> encodeBatch(List<String> texts) {
    List<int[]> encoded = new ArrayList<>(texts.size());
    for (int[] ids : batchIds(texts)) {
      encoded.add(wrap(ids, 0, ids.length));
    }
    return encoded;
  }

  /**
   * The text's tokens in order, cut into sequences of at most {@code maxLength} ids that each have
   * their own special tokens, as Hugging Face would encode each piece; no token is dropped. Cuts
   * fall between tokens, so a piece may start inside a word. An empty text gives one sequence of
   * special tokens only, as {@link #encode} does.
   *
   * @param maxLength the model's sequence length, special tokens included
   * @throws IllegalArgumentException if {@code maxLength} leaves no room beside the special tokens
   */
  public List<int[]> chunk(String text, int maxLength) {
    int window = textTokensPerChunk(maxLength);
    return chunks(ids(engine.getHandle(), text, false), window);
  }

  /** {@link #chunk} of each text, tokenized in parallel by the native library's thread pool. */
  public List<List<int[]>> chunkBatch(List<String> texts, int maxLength) {
    int window = textTokensPerChunk(maxLength);
    List<List<int[]>> chunked = new ArrayList<>(texts.size());
    for (int[] ids : batchIds(texts)) {
      chunked.add(chunks(ids, window));
    }
    return chunked;
  }

  /**
   * {@link #chunkBatch} with each chunk's unknown tokens and characters, from the same single
   * encoding of each text: what corpus preparation needs to both write sequences and measure the
   * vocabulary's coverage of a language.
   */
  public List<List<TokenizedChunk>> chunkBatchWithCoverage(List<String> texts, int maxLength) {
    int window = textTokensPerChunk(maxLength);
    int unk = vocabulary.specialTokens().unk();
    List<List<TokenizedChunk>> chunked = new ArrayList<>(texts.size());
    long[] encodings = NATIVE.batchEncode(engine.getHandle(), requireTexts(texts), false);
    try {
      for (long encoding : encodings) {
        int[] ids = toInts(NATIVE.getTokenIds(encoding));
        // Spans are costly to copy out; only texts with an unknown token need them.
        CharSpan[] spans =
            Arrays.stream(ids).anyMatch(id -> id == unk) ? NATIVE.getTokenCharSpans(encoding) : null;
        List<TokenizedChunk> chunks = new ArrayList<>();
        for (int[] range : chunkRanges(ids.length, window)) {
          int unknownTokens = 0;
          int unknownCharacters = 0;
          for (int i = range[0]; spans != null && i < range[1]; i++) {
            if (ids[i] == unk) {
              unknownTokens++;
              unknownCharacters += spans[i].getEnd() - spans[i].getStart();
            }
          }
          chunks.add(new TokenizedChunk(wrap(ids, range[0], range[1]), unknownTokens, unknownCharacters));
        }
        chunked.add(chunks);
      }
    } finally {
      for (long encoding : encodings) {
        NATIVE.deleteEncoding(encoding);
      }
    }
    return chunked;
  }

  private int textTokensPerChunk(int maxLength) {
    int window = maxLength - prefix.length - suffix.length;
    if (window < 1) {
      throw new IllegalArgumentException("maxLength " + maxLength + " leaves no room beside "
          + (prefix.length + suffix.length) + " special tokens");
    }
    return window;
  }

  private List<int[]> chunks(int[] ids, int window) {
    List<int[]> chunks = new ArrayList<>();
    for (int[] range : chunkRanges(ids.length, window)) {
      chunks.add(wrap(ids, range[0], range[1]));
    }
    return chunks;
  }

  /** [from, to) token ranges of at most {@code window}; an empty text is one empty range. */
  private static List<int[]> chunkRanges(int tokens, int window) {
    if (tokens == 0) {
      return List.of(new int[] {0, 0});
    }
    List<int[]> ranges = new ArrayList<>((tokens + window - 1) / window);
    for (int from = 0; from < tokens; from += window) {
      ranges.add(new int[] {from, Math.min(from + window, tokens)});
    }
    return ranges;
  }


  private int[] wrap(int[] ids, int from, int to) {
    int length = to - from;
    int[] wrapped = new int[prefix.length + length + suffix.length];
    System.arraycopy(prefix, 0, wrapped, 0, prefix.length);
    System.arraycopy(ids, from, wrapped, prefix.length, length);
    System.arraycopy(suffix, 0, wrapped, prefix.length + length, suffix.length);
    return wrapped;
  }

  /** How many of the text's tokens, and how many of its characters, the vocabulary cannot spell. */
  public VocabularyCoverage coverage(String text) {
    long encoding = NATIVE.encode(engine.getHandle(), requireText(text), false);
    try {
      long[] ids = NATIVE.getTokenIds(encoding);
      // Offsets into the original text, in Unicode code points.
      CharSpan[] spans = NATIVE.getTokenCharSpans(encoding);
      int unk = vocabulary.specialTokens().unk();
      long unknownTokens = 0;
      long unknownCharacters = 0;
      for (int i = 0; i < ids.length; i++) {
        if (ids[i] == unk) {
          unknownTokens++;
          unknownCharacters += spans[i].getEnd() - spans[i].getStart();
        }
      }
      return new VocabularyCoverage(ids.length, unknownTokens, unknownCharacters);
    } finally {
      NATIVE.deleteEncoding(encoding);
    }
  }

  /** Text back from ids, joined as the tokenizer's decoder does ({@code ##} pieces glued on). */
  public String decode(int[] ids, boolean skipSpecialTokens) {
    return engine.decode(Arrays.stream(ids).asLongStream().toArray(), skipSpecialTokens);
  }

  /**
   * The vocabulary's token for each id.
   *
   * @throws IllegalArgumentException for an id no token has
   */
  public List<String> tokens(int[] ids) {
    return Arrays.stream(ids).mapToObj(vocabulary::token).toList();
  }

  /** Rows the model's embedding matrix has: the highest id plus one. */
  public int vocabularySize() {
    return vocabulary.size();
  }

  public SpecialTokens specialTokens() {
    return vocabulary.specialTokens();
  }

  /** {@link TokenizerSpec#sha256()} of the spec this tokenizer was built from. */
  public String sha256() {
    return sha256;
  }

  /** Frees the native tokenizer; not for one taken from {@link TokenizerCache}. */
  @Override
  public void close() {
    engine.close();
  }

  private static int[] ids(long handle, String text, boolean addSpecialTokens) {
    long encoding = NATIVE.encode(handle, requireText(text), addSpecialTokens);
    try {
      return toInts(NATIVE.getTokenIds(encoding));
    } finally {
      NATIVE.deleteEncoding(encoding);
    }
  }

  private List<int[]> batchIds(List<String> texts) {
    long[] encodings = NATIVE.batchEncode(engine.getHandle(), requireTexts(texts), false);
    try {
      List<int[]> ids = new ArrayList<>(encodings.length);
      for (long encoding : encodings) {
        ids.add(toInts(NATIVE.getTokenIds(encoding)));
      }
      return ids;
    } finally {
      for (long encoding : encodings) {
        NATIVE.deleteEncoding(encoding);
      }
    }
  }

  // The native side cannot take null: it would abort the JVM rather than throw.
  private static String requireText(String text) {
    return requireNonNull(text, "text must not be null");
  }

  private static String[] requireTexts(List<String> texts) {
    String[] array = texts.toArray(String[]::new);
    for (String text : array) {
      requireText(text);
    }
    return array;
  }

  private static int[] toInts(long[] ids) {
    int[] ints = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      ints[i] = Math.toIntExact(ids[i]);
    }
    return ints;
  }
}
