package dev.adapterforge.ops.adapters.invertible;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.adapterforge.ops.adapters.AdapterConfig;
import dev.adapterforge.ops.adapters.AdapterMethod;
import dev.adapterforge.ops.adapters.PythonNames;
import dev.adapterforge.ops.adapters.bottleneck.BottleneckConfig;
import dev.adapterforge.ops.model.ModelArchitecture;
import java.util.List;

/**
 * {@code seq_bn_inv}, the adapters library's SeqBnInvConfig: {@link BottleneckConfig}'s adapter in
 * every layer plus a NICE coupling block on the embedding output whose subnetworks narrow their
 * input by {@code inv_adapter_reduction_factor}, with the bottleneck's non-linearity.
 *
 * @param invAdapterReductionFactor the invertible adapter's reduction factor; 2 in the reference
 */
public record InvertibleConfig(
    @JsonProperty("reduction_factor") int reductionFactor,
    @JsonProperty("non_linearity") String nonLinearity,
    @JsonProperty("leave_out") List<Integer> leaveOut,
    @JsonProperty("inv_adapter_reduction_factor") int invAdapterReductionFactor)
    implements AdapterConfig {

  public static final InvertibleConfig DEFAULT = new InvertibleConfig(16, "relu", List.of(), 2);

  public InvertibleConfig {
    leaveOut = leaveOut == null ? List.of() : List.copyOf(leaveOut);
    // validates the shared hyperparameters
    new BottleneckConfig(reductionFactor, nonLinearity, leaveOut);
    if (invAdapterReductionFactor < 1) {
      throw new IllegalArgumentException(
          "inv_adapter_reduction_factor must be at least 1, got " + invAdapterReductionFactor);
    }
  }

  public InvertibleConfig withReductionFactors(int reduction, int invertibleReduction) {
    return new InvertibleConfig(reduction, nonLinearity, leaveOut, invertibleReduction);
  }

  /** The bottleneck part. */
  public BottleneckConfig bottleneck() {
    return new BottleneckConfig(reductionFactor, nonLinearity, leaveOut);
  }

  @Override
  public AdapterMethod method() {
    return AdapterMethod.SEQ_BN_INV;
  }

  @Override
  public InvertibleAdapter create(ModelArchitecture architecture) {
    return new InvertibleAdapter(this, architecture);
  }

  @Override
  public String weightsFile() {
    return bottleneck().weightsFile();
  }

  @Override
  public ObjectNode pythonConfig(PythonNames names) {
    return bottleneck().adaptersLibraryConfig(names, "nice", invAdapterReductionFactor);
  }
}
