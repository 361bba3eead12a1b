package dev.adapterforge.ops.encoder;

import dev.adapterforge.ops.model.ModelArchitecture;
import java.io.Serializable;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.annotation.JsonTypeInfo;

/**
 * An adapter method attached to the frozen encoder: it declares its own trainable tensors, the only
 * parameters the network has, and transforms the values passing the encoder's hook points. Every
 * hook leaves its value unchanged unless overridden, so a method overrides only the points it
 * attaches to and the encoder never knows which method runs inside it.
 *
 * <p>Hidden values are [tokens, hidden]: every token of the batch, row-major by sequence. An
 * adapter travels inside the layer configuration, as JSON (its fields need {@code
 * org.nd4j.shade.jackson.annotation.JsonProperty}, or they are silently dropped) and through Java
 * serialization to Spark executors.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.CLASS, include = JsonTypeInfo.As.PROPERTY, property = "@class")
public interface EncoderAdapter extends Serializable {

  /**
   * Declares the trainable tensors for an encoder of this architecture. Names must be unique across
   * the adapter and differ from every {@link EncoderTensor#key}: prefix them with the method's name
   * and, per layer, the layer. No '_' (DL4J finds a gradient's layer by splitting its key at the
   * last '_') and no '/' (a SameDiff scope separator).
   */
  void defineParameters(SDLayerParams parameters, ModelArchitecture architecture);

  /** Writes initial values into freshly allocated parameters, by the names declared. */
  void initializeParameters(Map<String, INDArray> parameters);

  /**
   * The embeddings after their LayerNorm, before the first layer: an invertible adapter's place.
   */
  default SDVariable embeddingOutput(HookContext context, SDVariable embeddings) {
    return embeddings;
  }

  /** A projection's result {@code input · W + b}, e.g. LoRA's place on query and value. */
  default SDVariable projection(
      HookContext context, int layer, Projection projection, SDVariable input, SDVariable output) {
    return output;
  }

  /**
   * The feed-forward block's output (the {@link Projection#OUTPUT} dense) as the layer's residual
   * sum sees it: the layer's result is {@code layerNorm(returned + residual)}, with the block's
   * input as residual and the layer's own output LayerNorm. A bottleneck adapter's place, in the
   * adapters library's Pfeiffer form: {@code output + up(f(down(layerNorm(output + residual))))},
   * so that adapters stacked here compose by applying one after the other. Unadapted, {@code
   * output}.
   */
  default SDVariable feedForwardOutput(
      HookContext context,
      int layer,
      SDVariable output,
      SDVariable residual,
      UnaryOperator<SDVariable> layerNorm) {
    return output;
  }

  /**
   * The MLM head's transformed states just before the output projection onto the word embeddings:
   * where an invertible adapter applies its inverse.
   */
  default SDVariable beforeOutputEmbeddings(HookContext context, SDVariable transformed) {
    return transformed;
  }
}
