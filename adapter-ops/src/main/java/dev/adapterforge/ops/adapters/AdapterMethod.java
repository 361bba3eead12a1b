package dev.adapterforge.ops.adapters;

import dev.adapterforge.ops.adapters.bottleneck.BottleneckConfig;
import dev.adapterforge.ops.adapters.invertible.InvertibleConfig;
import dev.adapterforge.ops.adapters.lora.LoraConfig;
import dev.adapterforge.ops.adapters.sparse.SparseConfig;
import java.util.Arrays;
import java.util.List;

/** The adapter methods, by the names the adapters and PEFT libraries give them. */
public enum AdapterMethod {
  /** Sequential bottleneck after each feed-forward block (Pfeiffer). */
  SEQ_BN("seq_bn", BottleneckConfig.class),
  /** seq_bn plus a NICE invertible adapter on the embeddings, inverted before the MLM output. */
  SEQ_BN_INV("seq_bn_inv", InvertibleConfig.class),
  /** Low-rank updates of chosen projections, in PEFT's layout. */
  LORA("lora", LoraConfig.class),
  /** Lottery-ticket sparse fine-tuning: a sparse difference to the base weights. */
  LT_SFT("lt_sft", SparseConfig.class);

  private final String id;
  private final Class<? extends AdapterConfig> configClass;

  AdapterMethod(String id, Class<? extends AdapterConfig> configClass) {
    this.id = id;
    this.configClass = configClass;
  }

  /** The name in configs, artifacts and on the command line, e.g. {@code seq_bn}. */
  public String id() {
    return id;
  }

  /** The record its hyperparameters read into. */
  public Class<? extends AdapterConfig> configClass() {
    return configClass;
  }

  /**
   * @throws IllegalArgumentException naming the methods there are
   */
  public static AdapterMethod of(String id) {
    return Arrays.stream(values())
        .filter(method -> method.id.equals(id))
        .findFirst()
        .orElseThrow(
            () -> new IllegalArgumentException("unknown adapter method \"" + id + "\"; methods: " + ids()));
  }

  public static List<String> ids() {
    return Arrays.stream(values()).map(AdapterMethod::id).toList();
  }
}
