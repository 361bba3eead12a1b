package dev.adapterforge.ops.adapters.sparse;

import dev.adapterforge.ops.adapters.Adapter;
import dev.adapterforge.ops.adapters.PythonNames;
import dev.adapterforge.ops.adapters.PythonTensor;
import dev.adapterforge.ops.checkpoint.SafetensorsCheckpoint;
import dev.adapterforge.ops.checkpoint.SafetensorsWriter;
import dev.adapterforge.ops.checkpoint.Sha256;
import dev.adapterforge.ops.checkpoint.Tensor;
import dev.adapterforge.ops.encoder.HookContext;
import dev.adapterforge.ops.encoder.Projection;
import dev.adapterforge.ops.model.ModelArchitecture;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * LT-SFT's phase 2, and the trained sparse difference: the parameters are only the values at the
 * mask's entries, one vector per tuned weight, so the network's parameter vector (what Spark
 * averages) is the difference itself and never a dense copy. Each projection adds {@code x · ΔW},
 * ΔW the values scattered into a zero matrix at the fixed indices.
 *
 * <p>The indices are not parameters and stay out of the network's configuration: it carries their
 * checksum, and the indices live in a per-JVM registry filled where the mask is made or read.
 */
public final class SparseAdapter implements Adapter {
  private static final long serialVersionUID = 1L;
  static final String VALUES = "values";
  private static final String INDICES = "indices";
  static final String INDICES_SUFFIX = ".sft_indices";
  static final String VALUES_SUFFIX = ".sft_values";

  private static final ConcurrentMap<String, SortedMap<TunedWeight, int[]>> MASKS = new ConcurrentHashMap<>();

  @JsonProperty private SparseConfig config;
  @JsonProperty private ModelArchitecture architecture;
  @JsonProperty private String maskSha256;
  /** Where a JVM that has not made or read the mask loads it from; null for this JVM only. */
  @JsonProperty private String maskFile;

  /** For JSON deserialization only. */
  private SparseAdapter() {}

  SparseAdapter(SparseConfig config, ModelArchitecture architecture, SortedMap<TunedWeight, int[]> mask) {
    this.config = config;
    this.architecture = architecture;
    for (Map.Entry<TunedWeight, int[]> weight : mask.entrySet()) {
      long size = weight.getKey().size(architecture);
      for (int index : weight.getValue()) {
        if (index < 0 || index >= size) {
          throw new IllegalArgumentException(
              "index " + index + " is outside " + weight.getKey() + ", which has " + size + " entries");
        }
      }
    }
    this.maskSha256 = checksum(mask);
    MASKS.putIfAbsent(maskSha256, new TreeMap<>(mask));
  }

  /** Phase 2 on the mask a phase-1 difference selected; the values start at zero. */
  public static SparseAdapter onMask(SparseConfig config, ModelArchitecture architecture, SparseDifference mask) {
    SortedMap<TunedWeight, int[]> indices = new TreeMap<>();
    mask.entries().forEach((weight, entries) -> indices.put(weight, entries.indices()));
    return new SparseAdapter(config, architecture, indices);
  }

  @Override
  public SparseConfig config() {
    return config;
  }

  private SortedMap<TunedWeight, int[]> mask() {
    SortedMap<TunedWeight, int[]> mask = MASKS.get(maskSha256);
    if (mask != null) {
      return mask;
    }
    if (maskFile == null) {
      throw new IllegalStateException(
          "the LT-SFT mask " + maskSha256 + " is not loaded in this JVM: build the adapter from its mask or artifact here");
    }
    SortedMap<TunedWeight, int[]> read = readMask(Path.of(maskFile));
    if (!checksum(read).equals(maskSha256)) {
      throw new IllegalStateException("the LT-SFT mask file " + maskFile + " changed since the adapter was built");
    }
    MASKS.putIfAbsent(maskSha256, read);
    return MASKS.get(maskSha256);
  }

  /**
   * Phase 2 on a mask saved with {@link #writeMask}: every JVM that runs the adapter (Spark
   * executors included) reads the mask from {@code file}, which must be on storage they all see.
   */
  public static SparseAdapter fromMaskFile(SparseConfig config, ModelArchitecture architecture, Path file) {
    SparseAdapter adapter = new SparseAdapter(config, architecture, readMask(file));
    adapter.maskFile = file.toAbsolutePath().toString();
    return adapter;
  }

  /** Saves a mask's indices (the encoder's [in, out] layout) as int64 safetensors, atomically. */
  public static void writeMask(Path file, SparseDifference mask) throws IOException {
    List<Tensor> tensors = new ArrayList<>();
    mask.entries().forEach((weight, entries) -> {
      long[] indices = Arrays.stream(entries.indices()).asLongStream().toArray();
      tensors.add(Tensor.ofLongs(weight.parameter(INDICES), new long[] {indices.length}, indices));
    });
    Path staging = file.resolveSibling(file.getFileName() + ".staging");
    SafetensorsWriter.write(staging, tensors, Map.of());
    Files.move(staging, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static SortedMap<TunedWeight, int[]> readMask(Path file) {
    try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(file)) {
      SortedMap<TunedWeight, int[]> mask = new TreeMap<>();
      for (String name : checkpoint.names()) {
        long[] indices = checkpoint.tensor(name).toLongs();
        mask.put(TunedWeight.ofParameter(name), Arrays.stream(indices).mapToInt(Math::toIntExact).toArray());
      }
      return mask;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the LT-SFT mask " + file, e);
    }
  }

  /** The difference these trained values make. */
  public SparseDifference difference(Map<String, INDArray> parameters) {
    SortedMap<TunedWeight, SparseDifference.Entries> entries = new TreeMap<>();
    mask().forEach((weight, indices) -> entries.put(
        weight, new SparseDifference.Entries(indices, parameters.get(weight.parameter(VALUES)).toFloatVector())));
    return new SparseDifference(entries);
  }

  @Override
  public void defineParameters(SDLayerParams parameters, ModelArchitecture architecture) {
    mask().forEach((weight, indices) -> parameters.addWeightParam(weight.parameter(VALUES), 1, indices.length));
  }

  @Override
  public void initializeParameters(Map<String, INDArray> parameters) {
    parameters.values().forEach(parameter -> parameter.assign(0));
  }

  @Override
  public SDVariable projection(
      HookContext context, int layer, Projection projection, SDVariable input, SDVariable output) {
    TunedWeight weight = new TunedWeight(layer, projection);
    int[] indices = mask().get(weight);
    if (indices == null) {
      return output;
    }
    SameDiff sd = context.sameDiff();
    SDVariable values = context.parameter(weight.parameter(VALUES));
    // per mask: a stacked language and task difference have different indices for one weight
    String name = "sft.mask." + maskSha256.substring(0, 16) + "." + layer + "." + projection.huggingFaceModule();
    SDVariable at = sd.hasVariable(name) ? sd.getVariable(name) : sd.constant(name, Nd4j.createFromArray(indices));
    SDVariable zeros = sd.zero(null, values.dataType(), weight.size(architecture));
    SDVariable delta =
        sd.scatterAdd(zeros, at, sd.reshape(values, indices.length))
            .reshape(weight.rows(architecture), weight.columns(architecture));
    return output.add(input.mmul(delta));
  }

  @Override
  public PythonTensor pythonTensor(String parameter, PythonNames names) {
    TunedWeight weight = TunedWeight.ofParameter(parameter);
    return PythonTensor.bias(weight.huggingFaceName(names.modelPrefix()) + VALUES_SUFFIX);
  }

  /**
   * The indices, in torch's layout of each weight. The values follow the same order: a weight's
   * entries sorted by the encoder's [in, out] index, which is not torch's order, so the indices are
   * not ascending in the file.
   */
  @Override
  public List<Tensor> fixedTensors(PythonNames names) {
    List<Tensor> tensors = new ArrayList<>();
    mask().forEach((weight, indices) -> {
      long columns = weight.columns(architecture);
      long rows = weight.rows(architecture);
      long[] torch = new long[indices.length];
      for (int i = 0; i < indices.length; i++) {
        // [in, out] row-major (r, c) is torch's [out, in] (c, r)
        torch[i] = (indices[i] % columns) * rows + indices[i] / columns;
      }
      tensors.add(Tensor.ofLongs(weight.huggingFaceName(names.modelPrefix()) + INDICES_SUFFIX, new long[] {indices.length}, torch));
    });
    return tensors;
  }

  /** Indices from the file's torch layout back to the encoder's, in the file's order. */
  static int[] fromTorchLayout(long[] torch, TunedWeight weight, ModelArchitecture architecture) {
    long columns = weight.columns(architecture);
    long rows = weight.rows(architecture);
    int[] indices = new int[torch.length];
    for (int i = 0; i < torch.length; i++) {
      long column = torch[i] / rows;
      long row = torch[i] % rows;
      indices[i] = Math.toIntExact(row * columns + column);
    }
    return indices;
  }

  private static String checksum(SortedMap<TunedWeight, int[]> mask) {
    MessageDigest digest = Sha256.newDigest();
    mask.forEach((weight, indices) -> {
      digest.update(weight.toString().getBytes(StandardCharsets.UTF_8));
      ByteBuffer bytes = ByteBuffer.allocate(indices.length * Integer.BYTES);
      bytes.asIntBuffer().put(indices);
      digest.update(bytes);
    });
    return Sha256.hex(digest);
  }
}
