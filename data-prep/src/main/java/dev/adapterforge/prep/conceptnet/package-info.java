/**
 * {@code prep-conceptnet}: ConceptNet 5.7 assertions to per-language knowledge sentences, tokenized for
 * MLM. Parsing and rendering here are plain Java; the Spark job wires them to the shared prep stages.
 */
package dev.adapterforge.prep.conceptnet;
