/**
 * The adapter registry: a Delta table that says which adapter exists for which language, trained on
 * what, by what, and how good it is, with the artifacts' files beside it. Publish and promote are
 * single Delta transactions, retried on conflict.
 */
package dev.adapterforge.registry;
