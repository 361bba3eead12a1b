/** Evaluation of the base model, with or without an adapter, on prepared data. */
package dev.adapterforge.evaluate;
