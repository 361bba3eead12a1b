package dev.adapterforge.train;

import java.util.Optional;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds ND4J in a Spark task's thread to the GPU Spark's resource scheduling assigned the task
 * ({@code spark.task.resource.gpu.amount}), so that with one GPU per executor each training task
 * computes on its own device. Without a GPU resource (CPU executors, nd4j-native) nothing changes.
 */
final class GpuBinding {
  private static final Logger LOG = LoggerFactory.getLogger(GpuBinding.class);

  private GpuBinding() {}

  /** The device bound, if the task was given a GPU. */
  static Optional<Integer> bindTaskThread() {
    TaskContext task = TaskContext.get();
    if (task == null) {
      return Optional.empty();
    }
    scala.Option<ResourceInformation> gpu = task.resources().get("gpu");
    if (gpu.isEmpty() || gpu.get().addresses().length == 0) {
      return Optional.empty();
    }
    int device = Integer.parseInt(gpu.get().addresses()[0].strip());
    // the CUDA backend binds this thread's work to the device; nd4j-native ignores it
    Nd4j.getAffinityManager().unsafeSetDevice(device);
    LOG.info("Task {} bound to GPU {}", task.taskAttemptId(), device);
    return Optional.of(device);
  }
}
