package dev.adapterforge.ops.encoder;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.adapterforge.ops.checkpoint.SafetensorsWriter;
import dev.adapterforge.ops.checkpoint.Tensor;
import dev.adapterforge.ops.checkpoint.TensorDType;
import dev.adapterforge.ops.model.BaseModel;
import dev.adapterforge.ops.model.BaseModelResolver;
import dev.adapterforge.ops.model.ModelArchitecture;
import dev.adapterforge.ops.tokenizer.SpecialTokens;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A BERT model folder of any shape with random weights (config.json, vocab.txt of generated tokens,
 * model.safetensors under TensorFlow BERT names), for benchmarks, where the weights' values do not
 * change the speed. Initialised as BERT is: N(0, 0.02²) matrices and embeddings, zero biases, unit
 * LayerNorm gains. Ids are numbered as in mBERT's vocabulary ({@link #SPECIAL_TOKENS}).
 */
public final class RandomBertFolder {
  /** [PAD] 0, [UNK] 100, [CLS] 101, [SEP] 102, [MASK] 103, as in mBERT's vocab.txt. */
  public static final SpecialTokens SPECIAL_TOKENS = new SpecialTokens(101, 102, 0, 103, 100);

  /** The smallest vocabulary that holds the special tokens and a few ordinary ones. */
  public static final int MIN_VOCABULARY = 110;

  private static final double STD = 0.02;

  private RandomBertFolder() {}

  /**
   * Writes the folder unless it already holds a model of this architecture, and resolves it as
   * {@code --base-model DIR} would.
   *
   * @throws IllegalArgumentException if the vocabulary is smaller than {@link #MIN_VOCABULARY}
   */
  public static BaseModel write(Path directory, ModelArchitecture architecture, long seed) throws IOException {
    if (architecture.vocabSize() < MIN_VOCABULARY) {
      throw new IllegalArgumentException(
          "vocabulary " + architecture.vocabSize() + " is smaller than " + MIN_VOCABULARY + " (mBERT's special-token ids)");
    }
    Path config = directory.resolve("config.json");
    Path weights = directory.resolve("model.safetensors");
    boolean written =
        Files.isRegularFile(weights) && ModelArchitecture.fromConfigJson(config).equals(architecture);
    if (!written) {
      Files.createDirectories(directory);
      Files.deleteIfExists(weights); // written last, so that its presence means a complete folder
      architecture.writeConfigJson(config, Map.of("architectures", new String[] {"BertForMaskedLM"}));
      Files.write(directory.resolve("vocab.txt"), vocabulary(architecture.vocabSize()), UTF_8);
      SafetensorsWriter.write(weights, tensors(architecture, new Random(seed)), Map.of());
    }
    return BaseModelResolver.fromEnvironment().resolve(directory.toString());
  }

  private static List<String> vocabulary(int size) {
    List<String> tokens = new ArrayList<>(size);
    for (int id = 0; id < size; id++) {
      tokens.add(
          id == SPECIAL_TOKENS.pad() ? "[PAD]"
              : id == SPECIAL_TOKENS.unk() ? "[UNK]"
              : id == SPECIAL_TOKENS.cls() ? "[CLS]"
              : id == SPECIAL_TOKENS.sep() ? "[SEP]"
              : id == SPECIAL_TOKENS.mask() ? "[MASK]"
              : id < SPECIAL_TOKENS.unk() ? "[unused" + id + "]"
              : "t" + id);
    }
    return tokens;
  }

  private static List<Tensor> tensors(ModelArchitecture architecture, Random random) {
    List<Tensor> tensors = new ArrayList<>();
    for (EncoderTensor tensor : EncoderTensor.values()) {
      for (int layer = 0; layer < tensor.count(architecture); layer++) {
        // the unscoped TensorFlow name: dense kernels are stored [in, out], the internal layout
        String name = CheckpointNaming.TENSORFLOW_BERT.names(tensor, layer).get(1);
        long[] shape = tensor.shape(architecture);
        ByteBuffer data =
            ByteBuffer.allocate(Math.toIntExact(Tensor.elementCount(shape) * Float.BYTES)).order(ByteOrder.LITTLE_ENDIAN);
        FloatBuffer values = data.asFloatBuffer();
        boolean gain = tensor.name().endsWith("_GAIN");
        boolean bias = tensor.name().endsWith("_BIAS");
        while (values.hasRemaining()) {
          values.put(gain ? 1f : bias ? 0f : (float) (STD * random.nextGaussian()));
        }
        tensors.add(new Tensor(name, TensorDType.F32, shape, data));
      }
    }
    return tensors;
  }
}
