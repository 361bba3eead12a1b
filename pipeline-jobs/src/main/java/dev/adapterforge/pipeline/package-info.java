/**
 * The end-to-end pipeline: the corpus, training and evaluation commands run in one Spark
 * application with a ledger of what each stage consumed, so repeated runs do only what changed.
 */
package dev.adapterforge.pipeline;
