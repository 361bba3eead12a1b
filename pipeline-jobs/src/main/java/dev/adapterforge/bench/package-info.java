/**
 * {@code adapterforge bench ...}: benchmark commands that generate a corpus, run a real job on it and
 * print throughput figures. Measurements live here, never in timed unit tests.
 */
package dev.adapterforge.bench;
