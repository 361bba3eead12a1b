package dev.adapterforge.ops.encoder;

import dev.adapterforge.ops.encoder.Tape.Var;
import java.util.LinkedHashMap;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.MaskState;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.AbstractLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * {@link EncoderLayer}'s eager runtime: the layer's forward pass on a {@link Tape} ({@link
 * EagerEncoder}) and its backward pass from that tape, in place of a SameDiff graph. Same
 * parameters, in the same flattened layout, as the SameDiff runtime, so networks, checkpoints and
 * parameter averaging do not know which one runs.
 *
 * <p>The tape's arrays live outside DL4J's workspaces: a workspace frees nothing until its cycle
 * ends, so every temporary of the pass would add to the peak, and the tape frees each array as
 * soon as nothing needs it, into an {@link ArrayPool} whose buffers the pass's later arrays reuse.
 * Only the layer's output and input gradient go in DL4J's workspaces.
 */
final class EagerEncoderLayer extends AbstractLayer<EncoderLayer> {
  private static final long serialVersionUID = 1L;

  private INDArray parameterView;
  private INDArray gradientView;
  private Map<String, INDArray> parameters;
  private Map<String, INDArray> gradients;

  private Tape tape;
  private Map<String, Var> onTape;
  private PackedSequences batch;
  /** Whether the output has the predicted tokens' rows alone. */
  private boolean predictedOnly;
  private Var output;
  /** The tapes' memory, reused within each pass and released at its end. */
  private final ArrayPool arrays = new ArrayPool();

  EagerEncoderLayer(NeuralNetConfiguration conf, DataType dataType) {
    super(conf, dataType);
  }

  @Override
  public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
    assertInputSet(false);
    EncoderLayer config = layerConf();
    closeTape();
    batch = PackedSequences.of(input, maskArray);
    predictedOnly = config.predictedRowsOnly() && batch.predicted().length > 0;
    // the tape frees its arrays itself, as soon as nothing needs them: none go in a workspace
    try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      tape = new Tape(training, arrays);
      onTape = new LinkedHashMap<>();
      parameters.forEach((name, value) -> onTape.put(name, tape.parameter(value)));
      EagerEncoder encoder =
          new EagerEncoder(tape, config.frozenWeights(dataType), (EagerAdapter) config.adapter(), onTape);
      Var states = encoder.hiddenStates(batch, predictedOnly);
      output =
          switch (config.output()) {
            case HIDDEN_STATES -> states;
            case MLM_TRANSFORMED -> encoder.mlmTransform(states);
            case MLM_LOGITS -> encoder.mlmLogits(encoder.mlmTransform(states));
          };
    }
    INDArray sequences = unpack(output.value(), workspaceMgr);
    tape.releaseSince(0, null);
    arrays.releaseIdle();
    if (!training) {
      closeTape();
    }
    return sequences;
  }

  private void closeTape() {
    if (tape != null) {
      tape.close();
      tape = null;
      onTape = null;
      output = null;
      // DL4J makes a new network, so a new layer and pool, every averaging round: idle buffers
      // held past the pass would wait for the garbage collector
      arrays.releaseIdle();
    }
  }

  /** Packed rows [tokens or predicted tokens, size] as DL4J's [batch, size, length], zero elsewhere. */
  private INDArray unpack(INDArray packed, LayerWorkspaceMgr workspaceMgr) {
    INDArray sequences =
        workspaceMgr.create(ArrayType.ACTIVATIONS, dataType, input.size(0), packed.size(1), input.size(2));
    if (predictedOnly) {
      int[] rows = batch.predicted();
      for (int i = 0; i < rows.length; i++) {
        tokenColumn(sequences, rows[i]).assign(packed.getRow(i));
      }
    } else {
      for (int s = 0; s < batch.offsets().length; s++) {
        sequenceColumns(sequences, s).assign(packedRows(packed, s).transpose());
      }
    }
    return sequences;
  }

  /** DL4J's [batch, size, length] gradient as packed rows, like the output. */
  private INDArray pack(INDArray epsilon) {
    if (predictedOnly) {
      int[] rows = batch.predicted();
      INDArray packed = arrays.uninitialized(dataType, rows.length, epsilon.size(1));
      for (int i = 0; i < rows.length; i++) {
        packed.getRow(i).assign(tokenColumn(epsilon, rows[i]));
      }
      return packed;
    }
    INDArray packed = arrays.uninitialized(dataType, batch.tokens(), epsilon.size(1));
    for (int s = 0; s < batch.offsets().length; s++) {
      packedRows(packed, s).assign(sequenceColumns(epsilon, s).transpose());
    }
    return packed;
  }

  private INDArray sequenceColumns(INDArray sequences, int s) {
    return sequences.get(
        NDArrayIndex.point(s), NDArrayIndex.all(), NDArrayIndex.interval(0, batch.lengths()[s]));
  }

  /** The [size] column of packed row {@code row}'s token. */
  private INDArray tokenColumn(INDArray sequences, int row) {
    return sequences.get(
        NDArrayIndex.point(batch.sequenceOf(row)), NDArrayIndex.all(), NDArrayIndex.point(batch.positions()[row]));
  }

  private INDArray packedRows(INDArray packed, int s) {
    int offset = batch.offsets()[s];
    return packed.get(NDArrayIndex.interval(offset, offset + batch.lengths()[s]), NDArrayIndex.all());
  }

  @Override
  public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
    assertInputSet(true);
    Gradient gradient = new DefaultGradient();
    try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      tape.backward(output, pack(epsilon));
      onTape.forEach(
          (name, parameter) -> {
            INDArray view = gradients.get(name);
            if (parameter.gradient() == null) {
              view.assign(0);
            } else {
              view.assign(parameter.gradient());
            }
            gradient.gradientForVariable().put(name, view);
          });
      closeTape();
    }
    // token ids have no gradient
    INDArray inputGradient = workspaceMgr.create(ArrayType.ACTIVATION_GRAD, input.dataType(), input.shape());
    return Pair.of(gradient, inputGradient);
  }

  @Override
  public Pair<INDArray, MaskState> feedForwardMaskArray(
      INDArray maskArray, MaskState currentMaskState, int minibatchSize) {
    this.maskArray = maskArray;
    this.maskState = currentMaskState;
    return layerConf().feedForwardMaskArray(maskArray, currentMaskState, minibatchSize);
  }

  @Override
  public boolean isPretrainLayer() {
    return false;
  }

  @Override
  public void clearNoiseWeightParams() {}

  @Override
  public Layer clone() {
    throw new UnsupportedOperationException("clone the network instead");
  }

  @Override
  public INDArray params() {
    return parameterView;
  }

  @Override
  public INDArray getParam(String param) {
    return parameters.get(param);
  }

  @Override
  public long numParams() {
    return parameterView == null ? 0 : parameterView.length();
  }

  @Override
  public void setParam(String key, INDArray value) {
    INDArray current = parameters.get(key);
    if (current == null) {
      throw new IllegalArgumentException("no parameter " + key + "; parameters: " + parameters.keySet());
    }
    current.assign(value);
  }

  @Override
  public void setParams(INDArray params) {
    parameterView.assign(params);
  }

  @Override
  public void setParamsViewArray(INDArray params) {
    this.parameterView = params;
  }

  @Override
  public INDArray getGradientsViewArray() {
    return gradientView;
  }

  @Override
  public void setBackpropGradientsViewArray(INDArray gradients) {
    this.gradientView = gradients;
    this.gradients = layerConf().initializer().getGradientsFromFlattened(conf(), gradients);
  }

  @Override
  public void setParamTable(Map<String, INDArray> paramTable) {
    if (parameters == null) {
      parameters = paramTable;
    } else {
      paramTable.forEach(this::setParam);
    }
  }

  @Override
  public Map<String, INDArray> paramTable() {
    return parameters;
  }

  @Override
  public Map<String, INDArray> paramTable(boolean backpropParamsOnly) {
    return parameters;
  }
}
