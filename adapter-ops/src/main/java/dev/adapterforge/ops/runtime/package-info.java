/**
 * Which BLAS a JVM loads, chosen for its CPU before ND4J does ({@code BlasChoice}), and what ND4J
 * backend and BLAS it actually loaded, checked by computing, not by reading config.
 */
package dev.adapterforge.ops.runtime;
