/**
 * Resolves a {@code --base-model} value (a known id such as {@code mbert}, or a model folder) to a
 * {@link dev.adapterforge.ops.model.BaseModel}: its files, architecture and checksum. Known ids are
 * defined here and nowhere else.
 */
package dev.adapterforge.ops.model;
