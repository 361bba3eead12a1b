package dev.adapterforge.train;

import dev.adapterforge.job.Range;
import dev.adapterforge.job.UsageException;
import dev.adapterforge.ops.adapters.AdapterConfig;
import dev.adapterforge.ops.adapters.AdapterMethod;
import dev.adapterforge.ops.adapters.bottleneck.BottleneckConfig;
import dev.adapterforge.ops.adapters.invertible.InvertibleConfig;
import dev.adapterforge.ops.adapters.lora.LoraConfig;
import dev.adapterforge.ops.adapters.sparse.SparseConfig;
import java.util.List;
import picocli.CommandLine.Option;

/** {@code --method} and its hyperparameters, named as the adapters and PEFT libraries name them. */
public final class AdapterOptions {
  @Option(names = "--method", required = true, paramLabel = "METHOD", description = "seq_bn, seq_bn_inv, lora or lt_sft.")
  String method;

  @Range(min = 1)
  @Option(names = "--reduction-factor", defaultValue = "16", description = "seq_bn, seq_bn_inv: hidden size / bottleneck size.")
  int reductionFactor;

  @Option(names = "--non-linearity", defaultValue = "relu", description = "seq_bn, seq_bn_inv: relu, gelu, gelu_new, tanh or swish.")
  String nonLinearity;

  @Range(min = 0)
  @Option(names = "--leave-out", split = ",", paramLabel = "LAYER", description = "seq_bn, seq_bn_inv: layers without an adapter.")
  List<Integer> leaveOut;

  @Range(min = 1)
  @Option(names = "--inv-adapter-reduction-factor", defaultValue = "2", description = "seq_bn_inv: the invertible adapter's reduction factor.")
  int invAdapterReductionFactor;

  @Range(min = 1)
  @Option(names = "--lora-r", defaultValue = "8", description = "lora: rank.")
  int loraR;

  @Range(min = 0, minExclusive = true)
  @Option(names = "--lora-alpha", defaultValue = "8", description = "lora: the update is scaled by alpha / r.")
  double loraAlpha;

  @Option(names = "--target-modules", split = ",", defaultValue = "query,value", description = "lora: projections to adapt.")
  List<String> targetModules;

  @Range(min = 0, max = 1, minExclusive = true)
  @Option(names = "--ft-params-proportion", defaultValue = "0.01", description = "lt_sft: share of the targeted weights' entries the mask keeps.")
  double ftParamsProportion;

  @Range(min = 0)
  @Option(names = "--ft-params-num", defaultValue = "0", paramLabel = "K",
      description = "lt_sft: how many entries the mask keeps, as a count (the reference paper's 7.6M on mBERT); 0: --ft-params-proportion decides.")
  long ftParamsNum;

  /**
   * @param steps steps of training; lt_sft runs this many in each of its two phases
   * @throws UsageException naming the option at fault
   */
  public AdapterConfig config(int steps) {
    AdapterMethod adapterMethod;
    try {
      adapterMethod = AdapterMethod.of(method);
    } catch (IllegalArgumentException e) {
      throw new UsageException("--method: " + e.getMessage(), e);
    }
    try {
      return switch (adapterMethod) {
        case SEQ_BN -> new BottleneckConfig(reductionFactor, nonLinearity, leaveOut);
        case SEQ_BN_INV -> new InvertibleConfig(reductionFactor, nonLinearity, leaveOut, invAdapterReductionFactor);
        case LORA -> new LoraConfig(loraR, loraAlpha, 0, targetModules, null);
        case LT_SFT -> new SparseConfig(SparseConfig.DEFAULT.targets(), ftParamsProportion, ftParamsNum, steps, steps);
      };
    } catch (IllegalArgumentException e) {
      throw new UsageException("--method " + method + ": " + e.getMessage(), e);
    }
  }
}
