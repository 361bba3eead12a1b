/** What ND4J backend and BLAS a JVM actually loaded, checked by computing, not by reading config. */
package dev.adapterforge.ops.runtime;
