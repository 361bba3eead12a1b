package dev.adapterforge.train;

import org.apache.spark.util.LongAccumulator;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.spark.api.TrainingHook;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * Times every training step on the workers: DL4J's parameter-averaging worker calls the hook just
 * before and just after each {@code fit}, so the round's time outside those calls is what
 * distribution costs (broadcast, the worker's network set up, results collected and averaged).
 * Each task deserialises its own copy, used by its one thread.
 */
final class FitTimer implements TrainingHook {
  private static final long serialVersionUID = 1L;

  private final LongAccumulator fitNanos;
  private transient long started;

  FitTimer(LongAccumulator fitNanos) {
    this.fitNanos = fitNanos;
  }

  @Override
  public void preUpdate(MultiDataSet batch, Model model) {
    start();
  }

  @Override
  public void postUpdate(MultiDataSet batch, Model model) {
    stop();
  }

  @Override
  public void preUpdate(DataSet batch, Model model) {
    start();
  }

  @Override
  public void postUpdate(DataSet batch, Model model) {
    stop();
  }

  private void start() {
    started = System.nanoTime();
  }

  private void stop() {
    fitNanos.add(System.nanoTime() - started);
  }
}
