/**
 * Data-parallel adapter training on Spark executors with DL4J parameter averaging, its per-round
 * log and curve, checkpoints, and publication to the registry.
 */
package dev.adapterforge.train;
