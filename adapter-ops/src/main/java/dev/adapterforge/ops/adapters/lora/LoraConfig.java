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
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * {@code lora}, with PEFT's LoraConfig names and defaults: rank {@code r}, {@code lora_alpha}
 * (the update is scaled by lora_alpha / r), {@code target_modules}, optionally only {@code
 * layers_to_transform} (empty or absent: every layer, as in PEFT). The reference setup is r 8, alpha
 * 8 on query and value.
 *
 * <p>Each of target_modules names one projection: its module path in a transformers BERT layer
 * ({@code attention.self.query}, {@code attention.output.dense}, {@code intermediate.dense}, {@code
 * output.dense}) or a suffix only one of them has ({@code query}, {@code key}, {@code value}). PEFT
 * instead matches every module ending in a name, so there {@code output.dense} would also catch
 * {@code attention.output.dense}; {@link #pythonConfig} writes what PEFT needs to target the same
 * modules.
 *
 * @param loraDropout dropout on the update's input; only 0 is supported. DL4J's SameDiffLayer runs
 *     its graph as SameDiff inference in the forward pass whatever DL4J's training flag, and runs
 *     it again as training to backpropagate: the graph's only training switch (SameDiff fills a
 *     {@code *keras_learning_phase} placeholder from that phase) would apply dropout to the
 *     gradient's forward pass but not to the one DL4J takes the loss of, with another mask.
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
          "lora_dropout " + loraDropout + " is not supported, only 0.0: inside DL4J's SameDiffLayer"
              + " the graph cannot tell a training forward pass from an inference one");
    }
    if (targetModules == null || targetModules.isEmpty()) {
      throw new IllegalArgumentException("target_modules must name at least one module");
    }
    targetModules = List.copyOf(targetModules);
    Set<Projection> targeted = EnumSet.noneOf(Projection.class);
    for (String module : targetModules) {
      Projection projection;
      try {
        projection = Projection.ofModule(module);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("target_modules: " + e.getMessage(), e);
      }
      if (!targeted.add(projection)) {
        throw new IllegalArgumentException(
            "target_modules names " + projection.huggingFaceModule() + " twice: " + targetModules);
      }
    }
    layersToTransform =
        layersToTransform == null || layersToTransform.isEmpty() ? null : List.copyOf(layersToTransform);
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
   * PEFT's LoraConfig, every key its save_pretrained writes that matters here. PEFT 0.15 and later
   * load it, warning about and ignoring the {@code adapterforge} block beside these keys; 0.14 does
   * so only through {@code PeftModel.from_pretrained} (through {@code PeftConfig} it drops
   * LoraConfig's own keys with it), and earlier releases refuse any key LoraConfig does not declare.
   *
   * <p>target_modules is written as the list it is when PEFT's suffix matching catches exactly the
   * targeted projections. Otherwise ({@code output.dense} without {@code attention.output.dense})
   * it becomes a regular expression PEFT matches against whole module names, one that names the
   * layers too, since PEFT refuses layers_to_transform beside a regular expression.
   */
  @Override
  public ObjectNode pythonConfig(PythonNames names) {
    ObjectNode config = new ObjectMapper().createObjectNode();
    config.put("peft_type", "LORA");
    config.putNull("task_type");
    config.put("base_model_name_or_path", names.modelName());
    config.put("r", r);
    // PEFT declares lora_alpha an int
    if (loraAlpha == Math.rint(loraAlpha)) {
      config.put("lora_alpha", (long) loraAlpha);
    } else {
      config.put("lora_alpha", loraAlpha);
    }
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
      if (layersToTransform == null) {
        config.putNull("layers_to_transform");
      } else {
        layersToTransform.forEach(config.withArray("layers_to_transform")::add);
      }
    } else {
      String layers =
          layersToTransform == null
              ? "\\d+"
              : layersToTransform.stream().map(String::valueOf).collect(Collectors.joining("|", "(", ")"));
      config.put(
          "target_modules",
          ".*encoder\\.layer\\."
              + layers
              + "\\.("
              + projections.stream().map(p -> p.huggingFaceModule().replace(".", "\\.")).collect(Collectors.joining("|"))
              + ")");
      config.putNull("layers_to_transform");
    }
    config.put("bias", "none");
    config.put("fan_in_fan_out", false);
    config.put("inference_mode", true);
    config.put("init_lora_weights", true);
    config.putNull("modules_to_save");
    return config;
  }
}
