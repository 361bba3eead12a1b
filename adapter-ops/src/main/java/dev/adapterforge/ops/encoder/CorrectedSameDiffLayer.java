package dev.adapterforge.ops.encoder;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.samediff.SameDiffLayer;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DL4J's SameDiff layer runtime with its backprop defect undone: on 1.0.0-M2.1 {@code
 * SameDiffLayer.backpropGradient} returns exactly twice the true gradient, for the layer's
 * parameters and for the gradient it passes to the layer below (REFERENCE 1b).
 * EncoderGradientCheckTest fails if a DL4J release fixes it, so the correction cannot outlive the
 * defect unnoticed.
 */
final class CorrectedSameDiffLayer extends SameDiffLayer {
  private static final long serialVersionUID = 1L;

  /** What undoes the defect on the DL4J version this build pins. */
  static final double DL4J_BACKPROP_CORRECTION = 0.5;

  private final double correction;

  CorrectedSameDiffLayer(NeuralNetConfiguration conf, DataType dataType, double correction) {
    super(conf, dataType);
    this.correction = correction;
  }

  @Override
  public Pair<Gradient, INDArray> backpropGradient(
      INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
    Pair<Gradient, INDArray> gradients = super.backpropGradient(epsilon, workspaceMgr);
    // the parameter gradients are views of the network's flattened gradient: scaled in place there
    for (INDArray gradient : gradients.getFirst().gradientForVariable().values()) {
      gradient.muli(correction);
    }
    gradients.getSecond().muli(correction);
    return gradients;
  }
}
