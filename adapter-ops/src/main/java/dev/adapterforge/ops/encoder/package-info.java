/**
 * The frozen BERT-family encoder (BERT, mBERT; RoBERTa and XLM-R as a configuration) and its MLM
 * head in SameDiff: checkpoint names mapped onto one internal layout, frozen weights cached once
 * per JVM, the hook points adapters attach to, the DL4J layer that trains only adapter parameters,
 * and fill-mask. Never import Spark here, nor any adapter method: methods implement {@link
 * dev.adapterforge.ops.encoder.EncoderAdapter} from their own packages.
 */
package dev.adapterforge.ops.encoder;
