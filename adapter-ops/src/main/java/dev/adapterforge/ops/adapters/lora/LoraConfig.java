package dev.adapterforge.ops.adapters.lora;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.adapterforge.ops.adapters.AdapterConfig;
import dev.adapterforge.ops.adapters.AdapterMethod;
import dev.adapterforge.ops.adapters.PythonNames;
import dev.adapterforge.ops.encoder.Projection;
import dev.adapterforge.ops.model.ModelArchitecture;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * {@code lora}, with PEFT's LoraConfig names and defaults: rank {@code r}, {@code lora_alpha}
 * (the update is scaled by lora_alpha / r), {@code target_modules} by the module names of a
 * transformers BERT layer, optionally only {@code layers_to_transform}. The reference setup is r 8,
 * alpha 8 on query and value.
 *
 * @param loraDropout dropout on the update's input; only 0 is supported, since a DL4J SameDiff
 *     layer's graph cannot tell training from inference
 */
public record LoraConfig(
    @JsonProperty("r") int r,
    @JsonProperty("lora_alpha") double loraAlpha,
    @JsonProperty("lora_dropout") double loraDropout,
    @JsonProperty("target_modules") List<String> targetModules,
    @JsonProperty("layers_to_transform") List<Integer> layersToTransform)
    implements AdapterConfig {

  /** PEFT's weights file for adapters. */
  static final String PEFT_WEIGHTS_FILE = "adapter_model.safetensors";

  public static final LoraConfig DEFAULT = new LoraConfig(8, 8, 0, List.of("query", "value"), null);

  public LoraConfig {
    if (r < 1) {
      throw new IllegalArgumentException("r must be at least 1, got " + r);
    }
    if (!(loraAlpha > 0)) {
      throw new IllegalArgumentException("lora_alpha must be positive, got " + loraAlpha);
    }
    if (loraDropout != 0) {
      throw new IllegalArgumentException(
          "lora_dropout " + loraDropout + " is not supported: only 0 (DL4J SameDiff layers cannot"
              + " tell training from inference)");
    }
    if (targetModules == null || targetModules.isEmpty()) {
      throw new IllegalArgumentException("target_modules must name at least one module");
    }
    targetModules = List.copyOf(targetModules);
    for (String module : targetModules) {
      try {
        Projection.ofModule(module);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("target_modules: " + e.getMessage(), e);
      }
    }
    layersToTransform = layersToTransform == null ? null : List.copyOf(layersToTransform);
  }

  public LoraConfig withRank(int rank, double alpha) {
    return new LoraConfig(rank, alpha, loraDropout, targetModules, layersToTransform);
  }

  public LoraConfig withTargets(List<String> modules) {
    return new LoraConfig(r, loraAlpha, loraDropout, modules, layersToTransform);
  }

  public double scaling() {
    return loraAlpha / r;
  }

  @Override
  public AdapterMethod method() {
    return AdapterMethod.LORA;
  }

  @Override
  public LoraAdapter create(ModelArchitecture architecture) {
    return new LoraAdapter(this, architecture);
  }

  @Override
  public String weightsFile() {
    return PEFT_WEIGHTS_FILE;
  }

  /**
   * PEFT's LoraConfig. Its target_modules match module names by suffix, so {@code output.dense}
   * would also catch {@code attention.output.dense}: where a suffix list cannot say exactly which
   * modules, a regular expression over the full module name does.
   */
  @Override
  public ObjectNode pythonConfig(PythonNames names) {
    ObjectNode config = new ObjectMapper().createObjectNode();
    config.put("peft_type", "LORA");
    config.putNull("task_type");
    config.put("base_model_name_or_path", names.modelName());
    config.put("r", r);
    config.put("lora_alpha", loraAlpha);
    config.put("lora_dropout", loraDropout);
    List<Projection> projections = targetModules.stream().map(Projection::ofModule).toList();
    boolean suffixesExact =
        targetModules.stream()
            .allMatch(
                module ->
                    Arrays.stream(Projection.values())
                        .filter(p -> p.huggingFaceModule().equals(module) || p.huggingFaceModule().endsWith("." + module))
                        .allMatch(projections::contains));
    if (suffixesExact) {
      targetModules.forEach(config.withArray("target_modules")::add);
    } else {
      config.put(
          "target_modules",
          ".*encoder\\.layer\\.\\d+\\.("
              + projections.stream().map(p -> p.huggingFaceModule().replace(".", "\\.")).collect(Collectors.joining("|"))
              + ")");
    }
    Optional.ofNullable(layersToTransform).ifPresent(layers -> layers.forEach(config.withArray("layers_to_transform")::add));
    config.put("bias", "none");
    config.put("fan_in_fan_out", false);
    config.put("inference_mode", true);
    config.put("init_lora_weights", true);
    config.putNull("modules_to_save");
    return config;
  }
}
