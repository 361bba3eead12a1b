/**
 * {@code seq_bn_inv}: the bottleneck adapter plus a NICE invertible adapter on the embeddings,
 * inverted before the output embeddings (Pfeiffer et al. 2020, MAD-X).
 */
package dev.adapterforge.ops.adapters.invertible;
