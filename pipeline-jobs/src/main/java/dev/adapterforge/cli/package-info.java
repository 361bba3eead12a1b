/**
 * The {@code adapterforge} command line: one entry point for bin/adapterforge and spark-submit, config
 * files, exit codes. Jobs live in their own packages; nothing here does job work.
 */
package dev.adapterforge.cli;
