/** {@code seq_bn}: the sequential bottleneck adapter after each feed-forward block. */
package dev.adapterforge.ops.adapters.bottleneck;
