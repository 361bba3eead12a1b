/**
 * {@code prep-glotcc}: GlotCC-V1 Parquet shards to clean, deduplicated, tokenized MLM data per
 * language. Shard discovery, record filters and near-duplicate detection live here; splitting,
 * tokenization, stats and publishing are the shared stages of {@code dev.adapterforge.prep}.
 */
package dev.adapterforge.prep.glotcc;
