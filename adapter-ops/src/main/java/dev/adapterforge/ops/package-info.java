/**
 * Everything model-side, usable without Spark: base-model resolution, tokenizer, the frozen encoder,
 * adapters, checkpoints and artifacts. Must never import org.apache.spark.
 */
package dev.adapterforge.ops;
