package dev.adapterforge.prep;

/** How texts become model sequences ({@code --packing}). */
public enum Packing {
  /** Every line of a text is its own sequence, or several when it is longer than the model's length. */
  line,
  /** Lines run together, each ended by the tokenizer's separator, cut into full-length sequences. */
  packed
}
