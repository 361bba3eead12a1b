package dev.adapterforge.ops.encoder;

import dev.adapterforge.ops.model.BaseModel;
import dev.adapterforge.ops.model.ModelArchitecture;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.MaskState;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffLayer;
import org.deeplearning4j.nn.layers.AbstractLayer;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * The frozen encoder as a DL4J layer for a ComputationGraph, with an optional {@link
 * EncoderAdapter}. Its parameters, everything DL4J serialises, broadcasts and averages, are the
 * adapter's alone; the base model's weights come from {@link FrozenWeightsCache} each time DL4J
 * defines the layer's graph, and its configuration carries only their identity (base model and
 * checkpoint SHA-256).
 *
 * <p>Input: token ids as {@code InputType.recurrent(1, length)}, i.e. [batch, 1, length] in the
 * network's data type, with the padding mask as the input's feature mask [batch, length] (1 at a
 * token, or {@link #PREDICTED} at one the loss predicts; 0 at padding). Output
 * [batch, size, length] (DL4J's NCW): hidden states, or MLM logits over the vocabulary for a
 * softmax/MCXENT {@code RnnLossLayer} whose label mask selects the masked tokens, or the MLM head's
 * states for an {@code RnnLossLayer} with {@link MaskedLmLoss}, which is far cheaper. Batches may
 * differ in length.
 */
public class EncoderLayer extends SameDiffLayer {
  private static final long serialVersionUID = 1L;

  /** The feature mask's value at a token whose prediction the loss reads; 1 marks other tokens. */
  public static final float PREDICTED = 2;

  /** What the layer emits for each token. */
  public enum Output {
    HIDDEN_STATES,
    MLM_LOGITS,
    /**
     * The MLM head's states before the output projection, for a {@link MaskedLmLoss} that projects
     * only the masked tokens' onto the vocabulary.
     */
    MLM_TRANSFORMED
  }

  /**
   * Where the layer's forward and backward passes run. The eager runtime is the fast one; the
   * SameDiff runtime defines the computation once for both directions and is the reference the
   * eager one is tested against, and what adapters without an {@link EagerAdapter} form train on.
   */
  public enum Runtime {
    EAGER,
    SAMEDIFF;

    /**
     * The system property that makes every layer of this JVM run on SameDiff ({@code samediff}),
     * to compare the two runtimes or to step around a fault in the eager one.
     */
    public static final String PROPERTY = "adapterforge.encoder.runtime";
  }

  @JsonProperty private String baseModel;
  @JsonProperty private String checkpointSha256;
  @JsonProperty private ModelArchitecture architecture;
  @JsonProperty private Output output;
  @JsonProperty private EncoderAdapter adapter;
  @JsonProperty private Runtime runtime;
  @JsonProperty private boolean predictedRowsOnly;

  /** For JSON deserialization only. */
  private EncoderLayer() {}

  /**
   * @param model the base model: its id (or folder) and checksum are what every JVM resolves
   * @param adapter the adapter to train, or null for the frozen encoder alone
   */
  public EncoderLayer(BaseModel model, Output output, EncoderAdapter adapter) {
    this.baseModel = model.id();
    this.checkpointSha256 = model.checkpointSha256();
    this.architecture = model.architecture();
    this.output = Objects.requireNonNull(output, "output");
    this.adapter = adapter;
  }

  public EncoderAdapter adapter() {
    return adapter;
  }

  Output output() {
    return output;
  }

  /**
   * A copy whose output is only worth reading at the tokens the feature mask marks {@link
   * #PREDICTED} (where {@code MlmBatches} puts the masked ones) when a batch marks
   * any: for a loss that reads those alone, as {@link MaskedLmLoss} does. The eager runtime then
   * computes the last layer and the MLM head at those tokens only (their keys and values at all),
   * and emits zeros elsewhere; the SameDiff runtime computes every token.
   */
  public EncoderLayer withPredictedRowsOnly() {
    EncoderLayer copy = (EncoderLayer) clone();
    copy.predictedRowsOnly = true;
    return copy;
  }

  boolean predictedRowsOnly() {
    return predictedRowsOnly;
  }

  /** A copy that runs on {@code runtime}, whatever the system property says. */
  EncoderLayer withRuntime(Runtime runtime) {
    EncoderLayer copy = (EncoderLayer) clone();
    copy.runtime = runtime;
    return copy;
  }

  /**
   * The runtime this layer runs on: the one chosen by {@link #withRuntime}, else eager when the
   * adapter has an eager form and the system property does not say {@code samediff}.
   */
  public Runtime runtime() {
    if (runtime != null) {
      return runtime;
    }
    boolean eagerForm = adapter == null || adapter instanceof EagerAdapter;
    boolean sameDiffWanted = "samediff".equalsIgnoreCase(System.getProperty(Runtime.PROPERTY));
    return eagerForm && !sameDiffWanted ? Runtime.EAGER : Runtime.SAMEDIFF;
  }

  FrozenWeights frozenWeights(DataType dataType) {
    return FrozenWeightsCache.get(baseModel, checkpointSha256, architecture, dataType);
  }

  @Override
  public InputType getOutputType(int layerIndex, InputType inputType) {
    if (!(inputType instanceof InputType.InputTypeRecurrent ids)
        || ids.getSize() != 1
        || ids.getFormat() != RNNFormat.NCW) {
      throw new IllegalArgumentException(
          "layer "
              + getLayerName()
              + " reads token ids as InputType.recurrent(1, length), [batch, 1, length]; got "
              + inputType);
    }
    return InputType.recurrent(outputSize(), ids.getTimeSeriesLength());
  }

  private int outputSize() {
    return output == Output.MLM_LOGITS ? architecture.vocabSize() : architecture.hiddenSize();
  }

  @Override
  public void defineParameters(SDLayerParams parameters) {
    if (adapter != null) {
      adapter.defineParameters(parameters, architecture);
    }
  }

  @Override
  public void initializeParameters(Map<String, INDArray> parameters) {
    if (adapter != null) {
      adapter.initializeParameters(parameters);
    }
  }

  @Override
  public SDVariable defineLayer(
      SameDiff sd, SDVariable layerInput, Map<String, SDVariable> paramTable, SDVariable mask) {
    FrozenWeights weights = frozenWeights(layerInput.dataType());
    SDVariable ids = sd.squeeze(layerInput, 1).castTo(DataType.INT32);
    Encoder encoder = new Encoder(sd, weights, adapter, paramTable);
    // the mask marks predicted tokens with 2; attention needs 1 for every real token
    SDVariable attentionMask = mask == null ? null : mask.gt(0).castTo(mask.dataType());
    SDVariable states = encoder.hiddenStates(ids, attentionMask);
    SDVariable perToken =
        switch (output) {
          case HIDDEN_STATES -> states;
          case MLM_LOGITS -> encoder.mlmLogits(states);
          case MLM_TRANSFORMED -> encoder.mlmTransform(states);
        };
    SDVariable sequences =
        sd.reshape(
            perToken,
            sd.concat(0, sd.shape(ids), sd.constant(Nd4j.createFromArray((long) outputSize()))));
    // DL4J's SameDiffLayer asks SameDiff for dL/d(input) and fails when the input has no
    // differentiable path, as token ids have not: a zero-weighted one gives them their zero
    // gradient.
    SDVariable zeroFromInput = layerInput.sum().mul(0);
    return sd.permute(sequences, 0, 2, 1).add(zeroFromInput);
  }

  /** The next layer's mask: 1 at every real token, predicted or not. */
  @Override
  public Pair<INDArray, MaskState> feedForwardMaskArray(INDArray maskArray, MaskState currentMaskState, int minibatchSize) {
    return Pair.of(maskArray == null ? null : Transforms.min(maskArray, 1, true), currentMaskState);
  }

  @Override
  public Layer instantiate(
      NeuralNetConfiguration conf,
      Collection<TrainingListener> trainingListeners,
      int layerIndex,
      INDArray layerParamsView,
      boolean initializeParams,
      DataType networkDataType) {
    AbstractLayer<?> layer =
        runtime() == Runtime.EAGER
            ? new EagerEncoderLayer(conf, networkDataType)
            : new CorrectedSameDiffLayer(conf, networkDataType, backpropCorrection());
    layer.setIndex(layerIndex);
    layer.setParamsViewArray(layerParamsView);
    layer.setParamTable(initializer().init(conf, layerParamsView, initializeParams));
    layer.setConf(conf);
    return layer;
  }

  /** Overridden by the test that shows the defect the correction undoes. */
  double backpropCorrection() {
    return CorrectedSameDiffLayer.DL4J_BACKPROP_CORRECTION;
  }
}
