package dev.adapterforge.ops.encoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.adapterforge.ops.model.BaseModel;
import dev.adapterforge.ops.model.BaseModelResolver;
import dev.adapterforge.ops.model.HiddenActivation;
import dev.adapterforge.ops.model.ModelArchitecture;
import dev.adapterforge.ops.tokenizer.Tokenizer;
import dev.adapterforge.ops.tokenizer.TokenizerSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The encoder against an independent implementation on the same weights: all-MiniLM-L6-v2's ONNX
 * export run by ONNX Runtime, and the encoder loaded from that file's initializers.
 */
class MiniLmOnnxParityTest {
  private static final Logger LOG = LoggerFactory.getLogger(MiniLmOnnxParityTest.class);
  private static final List<String> TEXTS =
      List.of(
          "Paris is the capital of France.",
          "A short one.",
          "Low-resource languages have little data, but small multilingual encoders adapt well.",
          "Habari ya asubuhi, rafiki yangu!");

  @TempDir static Path folder;
  private static BaseModel model;
  private static Tokenizer tokenizer;

  /** The ONNX file and tokenizer from the langchain4j jar, with MiniLM's config.json. */
  @BeforeAll
  static void miniLmFolder() throws IOException {
    copy("all-minilm-l6-v2.onnx", folder.resolve("model.onnx"));
    copy("all-minilm-l6-v2-tokenizer.json", folder.resolve("tokenizer.json"));
    new ModelArchitecture(
            "bert", 6, 384, 12, 1536, 512, 30522, 2, HiddenActivation.GELU_ERF, 1e-12, 0, 0)
        .writeConfigJson(folder.resolve("config.json"), Map.of());
    model = BaseModelResolver.fromEnvironment().resolve(folder.toString());
    tokenizer = Tokenizer.load(TokenizerSpec.fromFolder(folder));
  }

  private static void copy(String resource, Path target) throws IOException {
    try (InputStream in =
        MiniLmOnnxParityTest.class.getClassLoader().getResourceAsStream(resource)) {
      Files.copy(in, target);
    }
  }

  @Test
  void lastHiddenStatesAgreeWithOnnxRuntime() throws OrtException, IOException {
    List<int[]> encoded = tokenizer.encodeBatch(TEXTS);
    PaddedBatch batch = PaddedBatch.of(encoded, tokenizer.specialTokens().pad(), 512);
    int sequences = batch.size();
    int length = batch.length();

    float[][][] reference = onnxRuntime(batch);

    FrozenWeights weights = FrozenWeights.load(model, DataType.FLOAT);
    assertFalse(weights.hasMlmHead(), "MiniLM is a bare encoder");
    SameDiff sd = SameDiff.create();
    SDVariable ids = sd.placeHolder("ids", DataType.INT32, -1, -1);
    SDVariable mask = sd.placeHolder("mask", DataType.FLOAT, -1, -1);
    SDVariable states = new Encoder(sd, weights, null, Map.of()).hiddenStates(ids, mask);
    INDArray ours =
        sd.outputSingle(
            Map.of(
                "ids",
                Nd4j.createFromArray(batch.ids()),
                "mask",
                Nd4j.createFromArray(batch.attentionMask())),
            states.name());

    double maxDifference = 0;
    int compared = 0;
    for (int s = 0; s < sequences; s++) {
      for (int position = 0; position < encoded.get(s).length; position++) {
        float[] row = ours.getRow(batch.row(s, position)).toFloatVector();
        for (int h = 0; h < row.length; h++) {
          maxDifference = Math.max(maxDifference, Math.abs(row[h] - reference[s][position][h]));
          compared++;
        }
      }
    }
    assertTrue(length > encoded.get(1).length, "the batch has padding");
    assertEquals(encoded.stream().mapToInt(e -> e.length).sum() * 384, compared);
    LOG.info(
        "Last hidden state, {} sequences padded to {}: max abs difference {} over {} values",
        sequences,
        length,
        maxDifference,
        compared);
    assertTrue(maxDifference < 1e-4, "max abs difference " + maxDifference);
  }

  /**
   * [sequence][position][hidden] from ONNX Runtime, by the export's input and output names (a
   * single segment: token types all 0).
   */
  private static float[][][] onnxRuntime(PaddedBatch batch) throws OrtException {
    OrtEnvironment environment = OrtEnvironment.getEnvironment();
    long[][] ids = new long[batch.size()][batch.length()];
    long[][] mask = new long[batch.size()][batch.length()];
    for (int s = 0; s < batch.size(); s++) {
      for (int p = 0; p < batch.length(); p++) {
        ids[s][p] = batch.ids()[s][p];
        mask[s][p] = (long) batch.attentionMask()[s][p];
      }
    }
    try (OrtSession session =
            environment.createSession(
                folder.resolve("model.onnx").toString(), new OrtSession.SessionOptions());
        OnnxTensor idsTensor = OnnxTensor.createTensor(environment, ids);
        OnnxTensor maskTensor = OnnxTensor.createTensor(environment, mask);
        OnnxTensor typesTensor =
            OnnxTensor.createTensor(environment, new long[batch.size()][batch.length()]);
        OrtSession.Result result =
            session.run(
                Map.of(
                    "input_ids", idsTensor,
                    "attention_mask", maskTensor,
                    "token_type_ids", typesTensor))) {
      return (float[][][]) result.get("last_hidden_state").orElseThrow().getValue();
    }
  }
}
