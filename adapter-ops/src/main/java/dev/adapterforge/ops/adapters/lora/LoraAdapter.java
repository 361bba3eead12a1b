package dev.adapterforge.ops.adapters.lora;

import dev.adapterforge.ops.adapters.Adapter;
import dev.adapterforge.ops.adapters.PythonNames;
import dev.adapterforge.ops.adapters.PythonTensor;
import dev.adapterforge.ops.encoder.EagerAdapter;
import dev.adapterforge.ops.encoder.EagerHooks;
import dev.adapterforge.ops.encoder.HookContext;
import dev.adapterforge.ops.encoder.Projection;
import dev.adapterforge.ops.encoder.Tape;
import dev.adapterforge.ops.encoder.Tape.Var;
import dev.adapterforge.ops.model.ModelArchitecture;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * {@code lora}: each targeted projection {@code x · W + b} gains {@code scaling · (x · A) · B}, A
 * [in, r] drawn as PEFT draws lora_A (kaiming-uniform with a = √5, i.e. U(±1/√in)) and B [r, out]
 * zero, so a fresh adapter leaves the encoder exactly as it was.
 *
 * <p>Saved under the keys PEFT's save_pretrained writes for a PeftModel wrapping transformers'
 * {@code BertModel} or {@code XLMRobertaModel} (what {@code AutoModel} loads), whose module paths
 * start at {@code encoder.}: {@code base_model.model.encoder.layer.<i>.attention.self.query.lora_A.weight}
 * [r, in] and {@code ….lora_B.weight} [out, r] (PEFT drops the adapter name, {@code .default}, from
 * its keys). Load it with {@code PeftModel.from_pretrained(AutoModel.from_pretrained(base), folder)};
 * a {@code BertForMaskedLM} puts the encoder under {@code bert.}, so these keys would not reach it.
 */
public final class LoraAdapter implements Adapter, EagerAdapter {
  private static final long serialVersionUID = 1L;
  private static final String PREFIX = "lora.layer";

  @JsonProperty private int r;
  @JsonProperty private double loraAlpha;
  @JsonProperty private List<String> targetModules;
  @JsonProperty private List<Integer> layersToTransform;
  @JsonProperty private int hiddenSize;
  @JsonProperty private int intermediateSize;
  @JsonProperty private int layers;

  /** For JSON deserialization only. */
  private LoraAdapter() {}

  LoraAdapter(LoraConfig config, ModelArchitecture architecture) {
    this.r = config.r();
    this.loraAlpha = config.loraAlpha();
    this.targetModules = new ArrayList<>(config.targetModules());
    this.layersToTransform =
        config.layersToTransform() == null ? null : new ArrayList<>(config.layersToTransform());
    this.hiddenSize = architecture.hiddenSize();
    this.intermediateSize = architecture.intermediateSize();
    this.layers = architecture.numHiddenLayers();
    if (layersToTransform != null) {
      for (int layer : layersToTransform) {
        if (layer < 0 || layer >= layers) {
          throw new IllegalArgumentException(
              "layers_to_transform names layer " + layer + ", but the model has layers 0.." + (layers - 1));
        }
      }
    }
  }

  @Override
  public LoraConfig config() {
    return new LoraConfig(r, loraAlpha, 0, targetModules, layersToTransform);
  }

  private List<Projection> projections() {
    return targetModules.stream().map(Projection::ofModule).toList();
  }

  /** Whether layers_to_transform includes {@code layer}. */
  boolean adapts(int layer) {
    return layersToTransform == null || layersToTransform.contains(layer);
  }

  private long inputSize(Projection projection) {
    return projection == Projection.OUTPUT ? intermediateSize : hiddenSize;
  }

  private long outputSize(Projection projection) {
    return projection == Projection.INTERMEDIATE ? intermediateSize : hiddenSize;
  }

  @Override
  public void defineParameters(SDLayerParams parameters, ModelArchitecture architecture) {
    for (int layer = 0; layer < layers; layer++) {
      if (adapts(layer)) {
        for (Projection projection : projections()) {
          parameters.addWeightParam(name(layer, projection, "A"), inputSize(projection), r);
          parameters.addWeightParam(name(layer, projection, "B"), r, outputSize(projection));
        }
      }
    }
  }

  @Override
  public void initializeParameters(Map<String, INDArray> parameters) {
    parameters.forEach(
        (name, parameter) -> {
          if (name.endsWith(".A")) {
            double bound = 1 / Math.sqrt(parameter.size(0));
            parameter.assign(Nd4j.rand(parameter.dataType(), parameter.shape()).muli(2 * bound).subi(bound));
          } else {
            parameter.assign(0);
          }
        });
  }

  @Override
  public SDVariable projection(
      HookContext context, int layer, Projection projection, SDVariable input, SDVariable output) {
    if (!adapts(layer) || !projections().contains(projection)) {
      return output;
    }
    SDVariable update =
        input
            .mmul(context.parameter(name(layer, projection, "A")))
            .mmul(context.parameter(name(layer, projection, "B")));
    return output.add(update.mul(config().scaling()));
  }

  @Override
  public Var projection(EagerHooks hooks, int layer, Projection projection, Var input, Var output) {
    if (!adapts(layer) || !projections().contains(projection)) {
      return output;
    }
    Tape tape = hooks.tape();
    Var update =
        tape.mmul(
            tape.mmul(input, hooks.parameter(name(layer, projection, "A")), false),
            hooks.parameter(name(layer, projection, "B")),
            false);
    return tape.add(output, tape.scale(update, config().scaling()));
  }

  @Override
  public PythonTensor pythonTensor(String parameter, PythonNames names) {
    // lora.layer<i>.<module>.<A|B>, the module as transformers names it
    String rest = parameter.substring(PREFIX.length());
    String layer = rest.substring(0, rest.indexOf('.'));
    String module = rest.substring(rest.indexOf('.') + 1, rest.lastIndexOf('.'));
    String factor = rest.substring(rest.lastIndexOf('.') + 1);
    return PythonTensor.linearWeight(
        String.format("base_model.model.encoder.layer.%s.%s.lora_%s.weight", layer, module, factor));
  }

  static String name(int layer, Projection projection, String factor) {
    // no '_' (DL4J splits gradient keys at it): the module path, not the enum name
    return PREFIX + layer + "." + projection.huggingFaceModule() + "." + factor;
  }
}
