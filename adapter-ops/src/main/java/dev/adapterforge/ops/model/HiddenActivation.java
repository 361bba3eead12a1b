package dev.adapterforge.ops.model;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The encoder's feed-forward activation, or an adapter's non-linearity, under the names Hugging
 * Face's config.json and the adapters library use.
 */
public enum HiddenActivation {
  /** GELU with the exact Gaussian CDF, x/2 (1 + erf(x / sqrt 2)): Hugging Face's "gelu". */
  GELU_ERF("gelu"),
  /**
   * GELU's tanh approximation, what Google's TF1 BERT graphs compute; differs from {@link
   * #GELU_ERF} by up to ~9e-3 in mBERT's last hidden state.
   */
  GELU_TANH("gelu_new", "gelu_pytorch_tanh"),
  RELU("relu"),
  TANH("tanh"),
  /** x·σ(x). */
  SWISH("swish", "silu");

  private final List<String> configNames;

  HiddenActivation(String... configNames) {
    this.configNames = List.of(configNames);
  }

  /** The name written to config.json. */
  public String configName() {
    return configNames.get(0);
  }

  /** The activation a config.json {@code hidden_act} names, if supported. */
  public static Optional<HiddenActivation> fromConfigName(String name) {
    return Arrays.stream(values()).filter(a -> a.configNames.contains(name)).findFirst();
  }

  /** Every accepted config.json name, for error messages. */
  public static List<String> configNames() {
    return Arrays.stream(values()).flatMap(a -> a.configNames.stream()).toList();
  }
}
