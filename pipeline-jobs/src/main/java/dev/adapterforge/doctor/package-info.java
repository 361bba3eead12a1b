/**
 * {@code adapterforge doctor}: proves a deployment works by using it: executors, ND4J in each
 * executor JVM, and a Delta round trip. Read-only except for its own table under the state root.
 */
package dev.adapterforge.doctor;
