package dev.adapterforge.ops.checkpoint;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The safetensors layout, shared by reader and writer: an 8-byte little-endian header length N, N
 * bytes of JSON mapping each tensor name to {dtype, shape, data_offsets: [begin, end)} relative to
 * the byte buffer that follows, plus an optional string-to-string {@code __metadata__}.
 */
final class SafetensorsFormat {
  static final String METADATA = "__metadata__";
  static final String DTYPE = "dtype";
  static final String SHAPE = "shape";
  static final String DATA_OFFSETS = "data_offsets";

  static final int LENGTH_PREFIX_BYTES = Long.BYTES;

  /** The Rust reference's limit: a longer header means a corrupt length, not a real model. */
  static final long MAX_HEADER_LENGTH = 100_000_000;

  /** The Rust reference pads the header with spaces so that the buffer starts 8-byte aligned. */
  static final int HEADER_ALIGNMENT = 8;

  static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private SafetensorsFormat() {}
}
