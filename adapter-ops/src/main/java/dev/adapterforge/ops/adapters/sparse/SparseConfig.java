package dev.adapterforge.ops.adapters.sparse;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.adapterforge.ops.adapters.Adapter;
import dev.adapterforge.ops.adapters.AdapterConfig;
import dev.adapterforge.ops.adapters.AdapterMethod;
import dev.adapterforge.ops.adapters.PythonNames;
import dev.adapterforge.ops.checkpoint.Tensor;
import dev.adapterforge.ops.encoder.Projection;
import dev.adapterforge.ops.model.ModelArchitecture;
import java.io.Serializable;
import java.util.List;
import java.util.Map;

/**
 * {@code lt_sft}, with composable-sft's names: the projections whose weights are tuned ({@code
 * targets}, transformers module names as for LoRA; all six by default), how many entries the
 * difference keeps ({@code ft_params_num}, or when 0 the share {@code ft_params_proportion} of the
 * targeted weights; the reference keeps 7.6M of mBERT's), and the steps of each phase, which the
 * trainer follows.
 */
public record SparseConfig(
    @JsonProperty("targets") List<String> targets,
    @JsonProperty("ft_params_proportion") double ftParamsProportion,
    @JsonProperty("ft_params_num") long ftParamsNum,
    @JsonProperty("full_ft_max_steps") int fullFtMaxSteps,
    @JsonProperty("sparse_ft_max_steps") int sparseFtMaxSteps)
    implements AdapterConfig, Serializable {

  public static final SparseConfig DEFAULT =
      new SparseConfig(
          List.of("query", "key", "value", "attention.output.dense", "intermediate.dense", "output.dense"),
          0.01,
          0,
          1000,
          1000);

  public SparseConfig {
    if (targets == null || targets.isEmpty()) {
      throw new IllegalArgumentException("targets must name at least one projection");
    }
    targets = List.copyOf(targets);
    for (String module : targets) {
      try {
        Projection.ofModule(module);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("targets: " + e.getMessage(), e);
      }
    }
    if (ftParamsNum < 0) {
      throw new IllegalArgumentException("ft_params_num must not be negative, got " + ftParamsNum);
    }
    if (ftParamsNum == 0 && !(ftParamsProportion > 0 && ftParamsProportion <= 1)) {
      throw new IllegalArgumentException("ft_params_proportion must be in (0, 1], got " + ftParamsProportion);
    }
    if (fullFtMaxSteps < 1 || sparseFtMaxSteps < 1) {
      throw new IllegalArgumentException(
          "full_ft_max_steps and sparse_ft_max_steps must be positive, got " + fullFtMaxSteps + " and " + sparseFtMaxSteps);
    }
  }

  public SparseConfig withTargets(List<String> modules) {
    return new SparseConfig(modules, ftParamsProportion, ftParamsNum, fullFtMaxSteps, sparseFtMaxSteps);
  }

  public SparseConfig withParameterCount(long count) {
    return new SparseConfig(targets, ftParamsProportion, count, fullFtMaxSteps, sparseFtMaxSteps);
  }

  List<Projection> projections() {
    return targets.stream().map(Projection::ofModule).toList();
  }

  /** How many entries the mask keeps of the {@code tunable} entries of the targeted weights. */
  public long parameterCount(long tunable) {
    long count = ftParamsNum > 0 ? ftParamsNum : Math.round(ftParamsProportion * tunable);
    return Math.max(1, Math.min(count, tunable));
  }

  @Override
  public AdapterMethod method() {
    return AdapterMethod.LT_SFT;
  }

  /** Phase 1: a dense, zero difference for every targeted weight. */
  @Override
  public DenseDifferenceAdapter create(ModelArchitecture architecture) {
    return new DenseDifferenceAdapter(this, architecture);
  }

  /** The sparse difference an artifact holds, its indices from the weights file. */
  @Override
  public Adapter restore(ModelArchitecture architecture, Map<String, Tensor> fixedTensors) {
    return new SparseAdapter(this, architecture, SparseDifference.indicesOf(fixedTensors, architecture));
  }

  @Override
  public String weightsFile() {
    return "adapter.safetensors";
  }

  /** composable-sft keeps no JSON of its own beside the difference; this records the method. */
  @Override
  public ObjectNode pythonConfig(PythonNames names) {
    ObjectNode config = new ObjectMapper().createObjectNode();
    config.put("sft_type", "lt_sft");
    config.put("base_model_name_or_path", names.modelName());
    config.put("layout", "per tuned weight <name>.sft_indices (int64, flat into [out, in]) and <name>.sft_values (float32)");
    return config;
  }
}
