package dev.adapterforge.ops.encoder;

import dev.adapterforge.ops.checkpoint.Checkpoint;
import dev.adapterforge.ops.checkpoint.CheckpointFormatException;
import dev.adapterforge.ops.checkpoint.Tensor;
import dev.adapterforge.ops.checkpoint.TensorDType;
import dev.adapterforge.ops.model.BaseModel;
import dev.adapterforge.ops.model.ModelArchitecture;
import java.io.IOException;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A base model's weights in the encoder's internal layout ({@link EncoderTensor}), in one data
 * type, in native memory outside any workspace. Never written to: graphs wrap these arrays as
 * constants, so they are never part of a network's parameters. Take them from {@link
 * FrozenWeightsCache}, which loads each model once per JVM (mBERT is 714 MB as float).
 */
public final class FrozenWeights {
  private static final Logger LOG = LoggerFactory.getLogger(FrozenWeights.class);

  private final String checkpointSha256;
  private final ModelArchitecture architecture;
  private final EncoderFamily family;
  private final DataType dataType;
  private final Map<EncoderTensor, INDArray[]> tensors;

  private FrozenWeights(
      String checkpointSha256,
      ModelArchitecture architecture,
      EncoderFamily family,
      DataType dataType,
      Map<EncoderTensor, INDArray[]> tensors) {
    this.checkpointSha256 = checkpointSha256;
    this.architecture = architecture;
    this.family = family;
    this.dataType = dataType;
    this.tensors = tensors;
  }

  /**
   * Reads every tensor the encoder and its MLM head need from the model's checkpoint, checking each
   * shape against its config.json; other tensors (pooler, next-sentence head) are ignored.
   *
   * @throws CheckpointFormatException if a tensor is missing, misshapen, or the checkpoint's naming
   *     belongs to another family than its model_type
   * @throws IllegalArgumentException if the model_type is not a supported encoder family
   */
  @SuppressWarnings("try") // the workspace scope is entered for its effect only
  public static FrozenWeights load(BaseModel model, DataType dataType) throws IOException {
    long started = System.nanoTime();
    ModelArchitecture architecture = model.architecture();
    EncoderFamily family = EncoderFamily.of(architecture.modelType());
    // scoped out: the arrays outlive every workspace of the layer that first asks for them
    try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces();
        Checkpoint checkpoint = model.openCheckpoint()) {
      Set<String> names = Set.copyOf(checkpoint.names());
      CheckpointNaming naming =
          CheckpointNaming.detect(names, family)
              .orElseThrow(
                  () ->
                      new CheckpointFormatException(
                          checkpoint.file(),
                          "no word embeddings under any name of "
                              + Arrays.toString(CheckpointNaming.values())
                              + "; not a BERT-family masked language model"));
      if (naming.family() != family) {
        throw new CheckpointFormatException(
            checkpoint.file(),
            String.format(
                "tensors are named as %s, a %s checkpoint, but config.json says model_type %s",
                naming, naming.family(), architecture.modelType()));
      }
      Map<EncoderTensor, INDArray[]> tensors = new EnumMap<>(EncoderTensor.class);
      // an encoder saved without its pre-training head (BertModel) computes hidden states only
      boolean hasMlmHead =
          naming.names(EncoderTensor.MLM_TRANSFORM_WEIGHT, 0).stream().anyMatch(names::contains);
      long bytes = 0;
      for (EncoderTensor tensor : EncoderTensor.values()) {
        if (tensor.inMlmHead() && !hasMlmHead) {
          continue;
        }
        INDArray[] arrays = new INDArray[tensor.count(architecture)];
        for (int layer = 0; layer < arrays.length; layer++) {
          arrays[layer] = read(checkpoint, names, naming, tensor, layer, architecture, dataType);
          bytes += arrays[layer].length() * dataType.width();
        }
        tensors.put(tensor, arrays);
      }
      LOG.info(
          "Loaded {} frozen weights ({}, {} MB, {} naming{}) from {} in {} ms",
          model.id(),
          dataType,
          bytes / 1_000_000,
          naming,
          hasMlmHead ? "" : ", no MLM head",
          checkpoint.file(),
          (System.nanoTime() - started) / 1_000_000);
      return new FrozenWeights(model.checkpointSha256(), architecture, family, dataType, tensors);
    }
  }

  private static INDArray read(
      Checkpoint checkpoint,
      Set<String> present,
      CheckpointNaming naming,
      EncoderTensor tensor,
      int layer,
      ModelArchitecture architecture,
      DataType dataType)
      throws IOException {
    String name =
        naming.names(tensor, layer).stream()
            .filter(present::contains)
            .findFirst()
            .orElseThrow(
                () ->
                    new CheckpointFormatException(
                        checkpoint.file(),
                        String.format(
                            "no tensor %s, which the encoder needs as %s",
                            String.join(" or ", naming.names(tensor, layer)), tensor.key(layer))));
    boolean transposed = naming.storesTransposed(tensor);
    long[] expected = tensor.shape(architecture);
    long[] stored = transposed ? new long[] {expected[1], expected[0]} : expected;
    if (!Arrays.equals(checkpoint.shape(name), stored)) {
      throw new CheckpointFormatException(
          checkpoint.file(),
          String.format(
              "tensor %s has shape %s, but config.json implies %s",
              name, Arrays.toString(checkpoint.shape(name)), Arrays.toString(stored)));
    }
    INDArray array = toArray(checkpoint.finiteTensor(name), dataType);
    return transposed ? array.transpose().dup('c') : array;
  }

  private static INDArray toArray(Tensor tensor, DataType dataType) {
    if (tensor.dtype() == TensorDType.F32 && dataType == DataType.FLOAT) {
      // Straight from the mapped file into native memory, with no float[] on the heap (the word
      // embeddings are 367 MB). ND4J runs on little-endian platforms only, so the stored
      // little-endian bytes are the native floats.
      INDArray array = Nd4j.createUninitialized(DataType.FLOAT, tensor.shape());
      array.data().asNio().put(tensor.data());
      return array;
    }
    return Nd4j.createFromArray(tensor.toFloats()).reshape(tensor.shape()).castTo(dataType);
  }

  /** One instance of a tensor; {@code layer} is ignored for a model-level one. */
  INDArray get(EncoderTensor tensor, int layer) {
    return tensors.get(tensor)[tensor.perLayer() ? layer : 0];
  }

  /** A projection's weight, [in, out]. Not to be written to. */
  public INDArray projectionWeight(int layer, Projection projection) {
    return get(projection.weight(), layer);
  }

  /**
   * A copy sharing every array but one projection weight, for inference with a weight that an
   * adapter was folded into. It still names the checkpoint it derives from, so it must never enter
   * {@link FrozenWeightsCache}.
   */
  public FrozenWeights withProjectionWeight(int layer, Projection projection, INDArray weight) {
    INDArray current = projectionWeight(layer, projection);
    if (!Arrays.equals(current.shape(), weight.shape()) || current.dataType() != weight.dataType()) {
      throw new IllegalArgumentException(
          String.format(
              "%s of layer %d is %s %s, not %s %s",
              projection, layer, current.dataType(), Arrays.toString(current.shape()),
              weight.dataType(), Arrays.toString(weight.shape())));
    }
    Map<EncoderTensor, INDArray[]> replaced = new EnumMap<>(tensors);
    INDArray[] layers = tensors.get(projection.weight()).clone();
    layers[layer] = weight;
    replaced.put(projection.weight(), layers);
    return new FrozenWeights(checkpointSha256, architecture, family, dataType, replaced);
  }

  /** Every frozen tensor's elements: the base model's size, to compare an adapter with. */
  public long parameterCount() {
    return tensors.values().stream().flatMap(Arrays::stream).mapToLong(INDArray::length).sum();
  }

  /** SHA-256 of the checkpoint these came from: their identity across JVMs. */
  public String checkpointSha256() {
    return checkpointSha256;
  }

  public ModelArchitecture architecture() {
    return architecture;
  }

  public EncoderFamily family() {
    return family;
  }

  public DataType dataType() {
    return dataType;
  }

  /** Whether the checkpoint had the MLM head, without which only hidden states can be computed. */
  public boolean hasMlmHead() {
    return tensors.containsKey(EncoderTensor.MLM_TRANSFORM_WEIGHT);
  }

  /** The longest sequence, special tokens included, the position embeddings cover. */
  public int maxSequenceLength() {
    return architecture.maxPositionEmbeddings() - family.positionOffset();
  }
}
