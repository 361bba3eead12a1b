package dev.adapterforge.ops.encoder;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.adapterforge.ops.checkpoint.SafetensorsWriter;
import dev.adapterforge.ops.checkpoint.Tensor;
import dev.adapterforge.ops.model.BaseModel;
import dev.adapterforge.ops.model.BaseModelResolver;
import dev.adapterforge.ops.model.HiddenActivation;
import dev.adapterforge.ops.model.ModelArchitecture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * Tiny random BERT-family model folders (config.json, vocab.txt, model.safetensors) for tests that
 * need no real weights. Tensor names are spelled here independently of {@link CheckpointNaming}:
 * TensorFlow names as mBERT's SavedModel has them, Hugging Face names by the renaming transformers
 * applies when it converts a TF BERT checkpoint, so a naming mistake in the encoder cannot cancel
 * out.
 */
public final class TinyModel {

  /** Special tokens first, as BERT numbers them: [PAD] is id 0 and [MASK] id 4. */
  public static final List<String> VOCABULARY =
      List.of(
          "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "b", "c", "d", "e", "f", "g", "h", "i",
          "j", "k", "l", "m", "n", "o");

  /** 2 layers, hidden 8, 2 heads, FFN 16, 16 positions, vocabulary 20, exact GELU. */
  public static final ModelArchitecture BERT = bert(HiddenActivation.GELU_ERF);

  private TinyModel() {}

  public static ModelArchitecture bert(HiddenActivation activation) {
    return new ModelArchitecture(
        "bert", 2, 8, 2, 16, 16, VOCABULARY.size(), 2, activation, 1e-12, 0, 0);
  }

  /** Random weights under mBERT's TensorFlow names (TF-Hub scope, kernels [in, out]). */
  public static Map<String, Tensor> tensorFlowWeights(ModelArchitecture a, long seed) {
    Random random = new Random(seed);
    long hidden = a.hiddenSize();
    long intermediate = a.intermediateSize();
    Map<String, Tensor> weights = new LinkedHashMap<>();
    String embeddings = "module/bert/embeddings/";
    put(weights, random, embeddings + "word_embeddings", 1, a.vocabSize(), hidden);
    put(weights, random, embeddings + "position_embeddings", 1, a.maxPositionEmbeddings(), hidden);
    put(weights, random, embeddings + "token_type_embeddings", 1, a.typeVocabSize(), hidden);
    putNorm(weights, random, embeddings + "LayerNorm/", hidden);
    for (int layer = 0; layer < a.numHiddenLayers(); layer++) {
      String block = "module/bert/encoder/layer_" + layer + "/";
      for (String projection : List.of("query", "key", "value")) {
        putDense(weights, random, block + "attention/self/" + projection + "/", hidden, hidden);
      }
      putDense(weights, random, block + "attention/output/dense/", hidden, hidden);
      putNorm(weights, random, block + "attention/output/LayerNorm/", hidden);
      putDense(weights, random, block + "intermediate/dense/", hidden, intermediate);
      putDense(weights, random, block + "output/dense/", intermediate, hidden);
      putNorm(weights, random, block + "output/LayerNorm/", hidden);
    }
    putDense(weights, random, "module/bert/pooler/dense/", hidden, hidden); // not read: ignored
    putDense(weights, random, "module/cls/predictions/transform/dense/", hidden, hidden);
    putNorm(weights, random, "module/cls/predictions/transform/LayerNorm/", hidden);
    put(weights, random, "module/cls/predictions/output_bias", 0.1, a.vocabSize());
    return weights;
  }

  /**
   * The same weights as transformers names them after converting a TF BERT checkpoint (RoBERTa:
   * {@code roberta.} and {@code lm_head.}), with Linear weights transposed to [out, in] and the
   * tied decoder weight saved beside the embeddings, as some checkpoints do.
   */
  public static Map<String, Tensor> huggingFaceWeights(Map<String, Tensor> tensorFlow, boolean roberta) {
    Map<String, Tensor> renamed = new LinkedHashMap<>();
    for (Tensor tensor : tensorFlow.values()) {
      String name =
          tensor
              .name()
              .substring("module/".length())
              .replaceAll("layer_(\\d+)", "layer.$1")
              .replace('/', '.')
              .replaceAll("(kernel|gamma)$", "weight")
              .replaceAll("beta$", "bias")
              .replaceAll("embeddings$", "embeddings.weight")
              .replace("cls.predictions.output_bias", "cls.predictions.bias");
      if (roberta) {
        name =
            name.replaceFirst("^bert\\.", "roberta.")
                .replace("cls.predictions.transform.dense", "lm_head.dense")
                .replace("cls.predictions.transform.LayerNorm", "lm_head.layer_norm")
                .replace("cls.predictions.bias", "lm_head.bias");
      }
      boolean linear = tensor.name().endsWith("/kernel");
      renamed.put(name, linear ? transposed(name, tensor) : rename(name, tensor));
    }
    String embeddings = roberta ? "roberta" : "bert";
    String decoder = roberta ? "lm_head.decoder.weight" : "cls.predictions.decoder.weight";
    renamed.put(
        decoder, rename(decoder, renamed.get(embeddings + ".embeddings.word_embeddings.weight")));
    return renamed;
  }

  /** Writes a model folder and resolves it, as {@code --base-model PATH} would. */
  public static BaseModel write(
      Path directory, ModelArchitecture architecture, Map<String, Tensor> weights)
      throws IOException {
    Files.createDirectories(directory);
    architecture.writeConfigJson(directory.resolve("config.json"), Map.of());
    Files.write(directory.resolve("vocab.txt"), VOCABULARY, UTF_8);
    SafetensorsWriter.write(directory.resolve("model.safetensors"), weights.values(), Map.of());
    return BaseModelResolver.fromEnvironment().resolve(directory.toString());
  }

  static Tensor rename(String name, Tensor tensor) {
    return new Tensor(name, tensor.dtype(), tensor.shape(), tensor.data());
  }

  /** The same tensor with rows and columns swapped. */
  static Tensor transposed(String name, Tensor tensor) {
    long[] shape = tensor.shape();
    int rows = (int) shape[0];
    int columns = (int) shape[1];
    float[] values = tensor.toFloats();
    float[] swapped = new float[values.length];
    for (int row = 0; row < rows; row++) {
      for (int column = 0; column < columns; column++) {
        swapped[column * rows + row] = values[row * columns + column];
      }
    }
    return Tensor.ofFloats(name, new long[] {columns, rows}, swapped);
  }

  private static void putDense(
      Map<String, Tensor> weights, Random random, String prefix, long in, long out) {
    put(weights, random, prefix + "kernel", 1 / Math.sqrt(in), in, out);
    put(weights, random, prefix + "bias", 0.1, out);
  }

  private static void putNorm(
      Map<String, Tensor> weights, Random random, String prefix, long size) {
    float[] gain = new float[(int) size];
    for (int i = 0; i < gain.length; i++) {
      gain[i] = (float) (1 + 0.1 * random.nextGaussian());
    }
    weights.put(prefix + "gamma", Tensor.ofFloats(prefix + "gamma", new long[] {size}, gain));
    put(weights, random, prefix + "beta", 0.1, size);
  }

  private static void put(
      Map<String, Tensor> weights, Random random, String name, double scale, long... shape) {
    int count = (int) Tensor.elementCount(shape);
    float[] values = new float[count];
    for (int i = 0; i < count; i++) {
      values[i] = (float) (scale * random.nextGaussian());
    }
    weights.put(name, Tensor.ofFloats(name, shape, values));
  }

  /** Random real-token ids (never a special token) for a batch of this size. */
  public static int[][] randomIds(Random random, int batch, int length) {
    int[][] ids = new int[batch][];
    for (int row = 0; row < batch; row++) {
      ids[row] =
          IntStream.range(0, length).map(i -> 5 + random.nextInt(VOCABULARY.size() - 5)).toArray();
    }
    return ids;
  }
}
