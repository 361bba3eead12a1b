/**
 * The stages every corpus job shares, one implementation each: options, deterministic splits,
 * tokenization into MLM sequences, quarantine, statistics and atomic output. Corpus formats live in
 * the sub-packages; nothing here knows GlotCC or ConceptNet.
 */
package dev.adapterforge.prep;
