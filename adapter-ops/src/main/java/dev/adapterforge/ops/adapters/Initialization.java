package dev.adapterforge.ops.adapters;

import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Initial values of adapter parameters, as the Python libraries draw them. */
public final class Initialization {
  private static final double BERT_STD = 0.02;

  private Initialization() {}

  /**
   * BERT's initialisation, the adapters library's {@code init_weights="bert"}: parameters named
   * {@code *.weight} normal with std 0.02, every other one (biases) zero.
   */
  public static void bert(Map<String, INDArray> parameters) {
    parameters.forEach(
        (name, parameter) -> {
          if (name.endsWith(".weight")) {
            parameter.assign(Nd4j.randn(parameter.dataType(), parameter.shape()).muli(BERT_STD));
          } else {
            parameter.assign(0);
          }
        });
  }
}
