package dev.adapterforge.ops.tokenizer;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * One {@link Tokenizer} per spec per JVM, so an executor builds its native tokenizer once rather
 * than per task or record. Tokenizers stay for the JVM's lifetime and must not be closed: other
 * tasks share them, and the process's exit frees them.
 *
 * <p>A lookup with a spec deserialized in the task compares its whole definition (megabytes) with
 * the cached one: look up once per partition, not per record.
 */
public final class TokenizerCache {

  private static final ConcurrentMap<TokenizerSpec, Tokenizer> TOKENIZERS =
      new ConcurrentHashMap<>();

  private TokenizerCache() {}

  /** The JVM's tokenizer for this spec, built on first request; concurrent first requests wait. */
  public static Tokenizer get(TokenizerSpec spec) {
    return TOKENIZERS.computeIfAbsent(spec, Tokenizer::load);
  }
}
