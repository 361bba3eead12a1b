/**
 * Text to MLM token ids exactly as Hugging Face makes them, from a tokenizer.json or a BERT
 * vocab.txt, with a serializable spec and a per-JVM cache for Spark executors. Never import Spark.
 */
package dev.adapterforge.ops.tokenizer;
