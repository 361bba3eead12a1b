package dev.adapterforge.ops.checkpoint;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The initializers of an ONNX model (ModelProto → GraphProto → TensorProto), read without ONNX
 * Runtime. Exporters from PyTorch rename the weight of a Linear layer that became a MatMul to an
 * anonymous {@code onnx::MatMul_<n>} and store it [in, out]; such a weight is found through the
 * graph (the MatMul whose output an Add with the layer's named {@code <module>.bias} consumes) and
 * offered as {@code <module>.weight} in torch's [out, in] layout, as the model's own checkpoint
 * names it. Other initializers keep their names.
 */
public final class OnnxCheckpoint implements Checkpoint {
  private static final Logger LOG = LoggerFactory.getLogger(OnnxCheckpoint.class);

  // onnx.proto field numbers
  private static final int MODEL_GRAPH = 7;
  private static final int GRAPH_NODE = 1;
  private static final int GRAPH_INITIALIZER = 5;
  private static final int NODE_INPUT = 1;
  private static final int NODE_OUTPUT = 2;
  private static final int NODE_OP_TYPE = 4;
  private static final int TENSOR_DIMS = 1;
  private static final int TENSOR_DATA_TYPE = 2;
  private static final int TENSOR_FLOAT_DATA = 4;
  private static final int TENSOR_NAME = 8;
  private static final int TENSOR_RAW_DATA = 9;
  private static final int TENSOR_DATA_LOCATION = 14;

  /** TensorProto.DataType codes of the types a weight can have. */
  private static final Map<Integer, TensorDType> DATA_TYPES =
      Map.of(
          1, TensorDType.F32,
          2, TensorDType.U8,
          3, TensorDType.I8,
          6, TensorDType.I32,
          7, TensorDType.I64,
          10, TensorDType.F16,
          11, TensorDType.F64,
          16, TensorDType.BF16);

  /** An initializer as stored, and whether it is offered transposed. */
  private record Initializer(
      String storedName,
      TensorDType dtype,
      long[] storedShape,
      ByteBuffer data,
      boolean transpose) {}

  private record Node(String opType, List<String> inputs, List<String> outputs) {}

  private final Path file;
  private final FileChannel channel;
  private final Map<String, Initializer> tensors;

  private OnnxCheckpoint(Path file, FileChannel channel, Map<String, Initializer> tensors) {
    this.file = file;
    this.channel = channel;
    this.tensors = tensors;
  }

  /**
   * @throws CheckpointFormatException if the file is not an ONNX model with inline initializers
   */
  public static OnnxCheckpoint open(Path file) throws IOException {
    FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
    try {
      ByteBuffer model = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size());
      ByteBuffer graph = null;
      ProtoReader modelReader = new ProtoReader(model);
      while (modelReader.hasNext()) {
        if (modelReader.nextField() == MODEL_GRAPH) {
          graph = modelReader.lengthDelimited();
        } else {
          modelReader.skip();
        }
      }
      if (graph == null) {
        throw new CheckpointFormatException(file, "no graph: not an ONNX model");
      }
      List<Initializer> initializers = new ArrayList<>();
      List<Node> nodes = new ArrayList<>();
      ProtoReader graphReader = new ProtoReader(graph);
      while (graphReader.hasNext()) {
        switch (graphReader.nextField()) {
          case GRAPH_INITIALIZER -> {
            Initializer initializer = initializer(file, graphReader.lengthDelimited());
            if (initializer != null) {
              initializers.add(initializer);
            }
          }
          case GRAPH_NODE -> nodes.add(node(graphReader.lengthDelimited()));
          default -> graphReader.skip();
        }
      }
      return new OnnxCheckpoint(file, channel, named(initializers, nodes));
    } catch (IllegalArgumentException | BufferUnderflowException | IndexOutOfBoundsException e) {
      channel.close();
      throw new CheckpointFormatException(file, "malformed ONNX protobuf: " + e.getMessage(), e);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /**
   * TensorProto: dims = 1, data_type = 2, float_data = 4, name = 8, raw_data = 9, data_location =
   * 14. Returns null, with a warning, for a type no weight has (bool, string, complex).
   */
  private static Initializer initializer(Path file, ByteBuffer message)
      throws CheckpointFormatException {
    ProtoReader reader = new ProtoReader(message);
    List<Long> dims = new ArrayList<>();
    String name = null;
    int dataType = 0;
    ByteBuffer rawData = null;
    ByteBuffer floatData = null;
    boolean external = false;
    while (reader.hasNext()) {
      switch (reader.nextField()) {
        case TENSOR_DIMS -> dims.addAll(reader.repeatedVarint());
        case TENSOR_DATA_TYPE -> dataType = (int) reader.varint();
        case TENSOR_NAME -> name = UTF_8.decode(reader.lengthDelimited()).toString();
        case TENSOR_RAW_DATA -> rawData = reader.lengthDelimited();
        case TENSOR_FLOAT_DATA -> floatData = reader.lengthDelimited();
        case TENSOR_DATA_LOCATION -> external = reader.varint() != 0;
        default -> reader.skip();
      }
    }
    if (name == null) {
      throw new CheckpointFormatException(file, "an initializer has no name");
    }
    if (external) {
      throw new CheckpointFormatException(
          file, "initializer " + name + " keeps its data in an external file, not supported");
    }
    TensorDType dtype = DATA_TYPES.get(dataType);
    if (dtype == null) {
      LOG.warn(
          "{}: skipping initializer {} of ONNX data type {}, which no weight has",
          file,
          name,
          dataType);
      return null;
    }
    // float_data is packed float32; other typed fields (int64_data, ...) are not read
    ByteBuffer data = rawData != null ? rawData : dtype == TensorDType.F32 ? floatData : null;
    if (data == null) {
      throw new CheckpointFormatException(
          file,
          String.format(
              "initializer %s (%s) has its values neither in raw_data nor, as float32, in"
                  + " float_data",
              name, dtype));
    }
    long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
    TensorSizes.check(file, name, dtype, shape, data.remaining());
    return new Initializer(name, dtype, shape, data, false);
  }

  /** NodeProto: input = 1, output = 2, op_type = 4. */
  private static Node node(ByteBuffer message) {
    ProtoReader reader = new ProtoReader(message);
    List<String> inputs = new ArrayList<>();
    List<String> outputs = new ArrayList<>();
    String opType = "";
    while (reader.hasNext()) {
      switch (reader.nextField()) {
        case NODE_INPUT -> inputs.add(UTF_8.decode(reader.lengthDelimited()).toString());
        case NODE_OUTPUT -> outputs.add(UTF_8.decode(reader.lengthDelimited()).toString());
        case NODE_OP_TYPE -> opType = UTF_8.decode(reader.lengthDelimited()).toString();
        default -> reader.skip();
      }
    }
    return new Node(opType, inputs, outputs);
  }

  /** Initializers by the name the model's checkpoint gives them; see the class comment. */
  private static Map<String, Initializer> named(List<Initializer> initializers, List<Node> nodes) {
    Map<String, Initializer> byStoredName = new HashMap<>();
    initializers.forEach(i -> byStoredName.put(i.storedName(), i));
    Map<String, Node> consumerOf = new HashMap<>();
    for (Node node : nodes) {
      node.inputs().forEach(input -> consumerOf.putIfAbsent(input, node));
    }
    Map<String, Initializer> named = new TreeMap<>(byStoredName);
    for (Node node : nodes) {
      if (!node.opType().equals("MatMul") || node.inputs().size() != 2) {
        continue;
      }
      Initializer weight = byStoredName.get(node.inputs().get(1));
      Node add = node.outputs().isEmpty() ? null : consumerOf.get(node.outputs().get(0));
      if (weight == null
          || weight.storedShape().length != 2
          || add == null
          || !add.opType().equals("Add")) {
        continue;
      }
      add.inputs().stream()
          .filter(input -> input.endsWith(".bias") && byStoredName.containsKey(input))
          .findFirst()
          .ifPresent(
              bias -> {
                String module = bias.substring(0, bias.length() - ".bias".length());
                named.remove(weight.storedName());
                named.put(
                    module + ".weight",
                    new Initializer(
                        weight.storedName(),
                        weight.dtype(),
                        weight.storedShape(),
                        weight.data(),
                        true));
              });
    }
    return named;
  }

  @Override
  public Path file() {
    return file;
  }

  @Override
  public List<String> names() {
    return List.copyOf(tensors.keySet());
  }

  private Initializer initializer(String name) {
    Initializer initializer = tensors.get(name);
    if (initializer == null) {
      throw new IllegalArgumentException(file + " has no initializer " + name);
    }
    return initializer;
  }

  @Override
  public long[] shape(String name) {
    Initializer i = initializer(name);
    long[] shape = i.storedShape();
    return i.transpose() ? new long[] {shape[1], shape[0]} : shape.clone();
  }

  @Override
  public TensorDType dtype(String name) {
    return initializer(name).dtype();
  }

  @Override
  public Tensor tensor(String name) {
    Initializer i = initializer(name);
    Tensor stored = new Tensor(name, i.dtype(), i.storedShape(), i.data());
    return i.transpose() ? transposed(stored) : stored;
  }

  /** A 2-D tensor with rows and columns swapped, element bytes copied as they are. */
  private static Tensor transposed(Tensor tensor) {
    long[] shape = tensor.shape();
    int rows = (int) shape[0];
    int columns = (int) shape[1];
    int width = tensor.dtype().byteSize();
    ByteBuffer from = tensor.data();
    ByteBuffer to = ByteBuffer.allocate(rows * columns * width).order(ByteOrder.LITTLE_ENDIAN);
    byte[] element = new byte[width];
    for (int row = 0; row < rows; row++) {
      for (int column = 0; column < columns; column++) {
        from.get((row * columns + column) * width, element);
        to.put((column * rows + row) * width, element);
      }
    }
    return new Tensor(tensor.name(), tensor.dtype(), new long[] {columns, rows}, to);
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
