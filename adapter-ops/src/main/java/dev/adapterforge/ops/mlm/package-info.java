/**
 * Masked language modelling around the frozen encoder: BERT's masking rule, batches of prepared
 * sequences, the training objective and evaluation (MLM loss, pseudo-perplexity).
 */
package dev.adapterforge.ops.mlm;
