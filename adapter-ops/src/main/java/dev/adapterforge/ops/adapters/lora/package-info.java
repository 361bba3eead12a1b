/**
 * {@code lora}: low-rank updates of the attention (and optionally feed-forward) projections (Hu et
 * al. 2021), saved in PEFT's layout.
 */
package dev.adapterforge.ops.adapters.lora;
