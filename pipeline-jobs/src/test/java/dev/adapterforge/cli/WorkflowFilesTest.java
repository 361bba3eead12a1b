package dev.adapterforge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueType;
import java.io.IOException;
import java.io.Reader;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;
import picocli.CommandLine;

/**
 * The scheduled workflows in conf/workflows/ submit what this build and the docker/ images provide: a main
 * class that loads, a subcommand it has, a conf file in conf/, the jar the build names, real stages, and
 * GPUs where training runs. Paths inside the image are mapped back to the repository through the COPY
 * lines of the Dockerfile that builds it.
 */
class WorkflowFilesTest {
  private static final Path PROJECT = Path.of(property("adapterforge.project.dir"));
  private static final Path DAG = PROJECT.resolve("conf/workflows/adapterforge_dag.py");
  private static final Path MANIFEST = PROJECT.resolve("conf/workflows/adapterforge-scheduled.yaml");
  private static final Path CUDA_IMAGE = PROJECT.resolve("docker/Dockerfile.cuda");
  private static final Path CPU_IMAGE = PROJECT.resolve("docker/Dockerfile.cpu");

  /** The pipeline's stages, in the order they run. */
  private static final List<String> STAGES = List.of("prep", "train", "evaluate", "publish");

  private static final String GPU_AMOUNT = "spark.executor.resource.gpu.amount";
  private static final String GPU_DISCOVERY = "spark.executor.resource.gpu.discoveryScript";
  private static final Pattern PARAM_TEMPLATE = Pattern.compile("\\{\\{\\s*params\\.(\\w+)\\s*}}");

  private static String property(String name) {
    String value = System.getProperty(name);
    assertNotNull(value, "system property " + name + " (set by pipeline-jobs/pom.xml for surefire)");
    return value;
  }

  @Test
  void airflowDagSubmitsEveryStageInOrderWithRetriesAndGpusForTraining() throws Exception {
    JsonNode dag = readDag(DAG);
    Image image = Image.read(CUDA_IMAGE);

    assertEquals(
        "airflow.providers.apache.spark.operators.spark_submit",
        dag.path("imports").path("SparkSubmitOperator").asText(),
        "SparkSubmitOperator's import in " + DAG);
    JsonNode defaults = dag.path("dag").path("default_args");
    assertTrue(defaults.path("retries").asInt() > 0, "default_args.retries > 0 in " + DAG);
    assertTrue(defaults.has("retry_delay"), "default_args.retry_delay in " + DAG);

    Map<String, String> params = new HashMap<>();
    dag.path("params").fields().forEachRemaining(p -> params.put(p.getKey(), p.getValue().asText()));
    Map<String, List<String>> stagesByTask = new HashMap<>();
    assertFalse(dag.path("tasks").isEmpty(), "SparkSubmitOperator tasks in " + DAG);
    for (JsonNode task : dag.path("tasks")) {
      JsonNode kwargs = task.path("kwargs");
      String taskId = kwargs.path("task_id").asText();
      List<String> args = new ArrayList<>();
      kwargs.path("application_args").forEach(a -> args.add(render(a.asText(), params, taskId)));
      List<String> stages =
          checkSubmission(
              taskId, kwargs.path("java_class").asText(), render(kwargs.path("application").asText(), params, taskId),
              args, image);
      stagesByTask.put(task.path("variable").asText(), stages);

      Config spark = sparkSettings(args, image);
      if (stages.contains("train")) {
        assertTrue(spark.hasPath(GPU_AMOUNT) && spark.getInt(GPU_AMOUNT) >= 1, taskId + ": " + GPU_AMOUNT + " >= 1 in its confs");
        assertTrue(
            Files.isRegularFile(image.repositoryFile(spark.getString(GPU_DISCOVERY))),
            taskId + ": " + GPU_DISCOVERY + " is a file the image copies from the repository");
      } else {
        assertFalse(spark.hasPath(GPU_AMOUNT), taskId + " does not train, so its confs ask for no GPU");
      }
    }

    Set<String> covered = new TreeSet<>();
    stagesByTask.values().forEach(covered::addAll);
    assertEquals(new TreeSet<>(STAGES), covered, "the DAG runs every stage");
    List<List<String>> edges = new ArrayList<>();
    dag.path("edges").forEach(e -> edges.add(List.of(e.get(0).asText(), e.get(1).asText())));
    for (String stage : STAGES.subList(1, STAGES.size())) {
      String previous = STAGES.get(STAGES.indexOf(stage) - 1);
      assertTrue(
          edges.stream()
              .anyMatch(
                  e -> stagesByTask.get(e.get(0)).contains(previous) && stagesByTask.get(e.get(1)).contains(stage)),
          "a task running " + stage + " runs after the one running " + previous + ": " + edges);
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void sparkOperatorManifestSubmitsThePipelineOnGpuExecutorsShapedAsTheConfSays() throws Exception {
    Map<String, Object> manifest;
    try (Reader reader = Files.newBufferedReader(MANIFEST)) {
      manifest = new Yaml().load(reader);
    }
    Image image = Image.read(CUDA_IMAGE);
    assertEquals("sparkoperator.k8s.io/v1beta2", manifest.get("apiVersion"));
    assertEquals("ScheduledSparkApplication", manifest.get("kind"));
    Map<String, Object> spec = (Map<String, Object>) manifest.get("spec");
    assertEquals(5, String.valueOf(spec.get("schedule")).trim().split("\\s+").length, "a five-field cron schedule");
    assertEquals("Forbid", spec.get("concurrencyPolicy"), "two runs at once would share one work folder");

    Map<String, Object> app = (Map<String, Object>) spec.get("template");
    assertEquals("Java", app.get("type"));
    assertEquals(property("adapterforge.build.spark.version"), app.get("sparkVersion"), "the build's Spark");
    String file = String.valueOf(app.get("mainApplicationFile"));
    assertTrue(file.startsWith("local://"), "the jar inside the image: " + file);
    List<String> args = (List<String>) app.get("arguments");
    checkSubmission(
        "the manifest", String.valueOf(app.get("mainClass")), file.substring("local://".length()), args, image);

    Map<String, Object> executor = (Map<String, Object>) app.get("executor");
    Map<String, Object> gpu = (Map<String, Object>) executor.get("gpu");
    assertEquals("nvidia.com/gpu", gpu.get("name"));
    assertTrue(((Number) gpu.get("quantity")).intValue() >= 1, "a GPU per executor");
    String imageName = String.valueOf(app.get("image")).replaceFirst(".*/", "");
    assertTrue(imageName.startsWith("adapterforge-cuda"), "GPU executors run the CUDA image: " + imageName);

    Config conf = ConfigFactory.parseFile(image.repositoryFile(argumentAfter("--conf", args)).toFile()).resolve();
    Config spark = conf.getConfig("spark");
    for (String key : List.of("cores", "memory", "memoryOverhead")) {
      if (spark.hasPath("executor." + key)) {
        assertEquals(
            spark.getString("executor." + key), String.valueOf(executor.get(key)),
            "executor." + key + ": the manifest's value would override the conf's");
      }
    }

    Set<String> volumes = new LinkedHashSet<>();
    ((List<Map<String, Object>>) app.getOrDefault("volumes", List.of()))
        .forEach(v -> volumes.add(String.valueOf(v.get("name"))));
    for (String role : List.of("driver", "executor")) {
      List<String> mounts = new ArrayList<>();
      for (Map<String, Object> mount :
          (List<Map<String, Object>>) ((Map<String, Object>) app.get(role)).getOrDefault("volumeMounts", List.of())) {
        assertTrue(volumes.contains(String.valueOf(mount.get("name"))), role + " mounts a declared volume: " + mount);
        mounts.add(String.valueOf(mount.get("mountPath")));
      }
      // the stages share state through folders that every driver and executor pod must see
      for (String path : localPaths(conf)) {
        assertTrue(
            mounts.stream().anyMatch(m -> path.equals(m) || path.startsWith(m + "/")),
            role + " pods mount a volume at " + path + " (a path in " + argumentAfter("--conf", args) + ")");
      }
    }
  }

  @Test
  void imagesBuildTheJarWithTheBuildsSparkAndBackend() throws IOException {
    for (Path dockerfile : List.of(CPU_IMAGE, CUDA_IMAGE)) {
      String text = Files.readString(dockerfile);
      Matcher spark = Pattern.compile("(?m)^ARG SPARK_VERSION=(\\S+)$").matcher(text);
      assertTrue(spark.find(), "ARG SPARK_VERSION in " + dockerfile);
      assertEquals(property("adapterforge.build.spark.version"), spark.group(1), dockerfile + ": the build's Spark");
      assertEquals(
          dockerfile.equals(CUDA_IMAGE), text.contains("mvn -B -Pcuda"),
          dockerfile + ": the CUDA image, and only it, builds ND4J's CUDA backend");
      Image image = Image.read(dockerfile);
      checkJar(dockerfile.toString(), image, "/opt/adapterforge/adapterforge.jar");
      assertTrue(Files.isRegularFile(image.repositoryFile("/opt/adapterforge/conf/local.conf")), "conf/ in " + dockerfile);
    }
  }

  /** Checks one spark-submit of the application; returns the stages it runs (all of them without --stages). */
  private static List<String> checkSubmission(
      String where, String mainClass, String jar, List<String> args, Image image) throws ReflectiveOperationException {
    Object command;
    try {
      command = Class.forName(mainClass).getDeclaredConstructor().newInstance();
    } catch (ClassNotFoundException e) {
      throw new AssertionError(where + ": main class " + mainClass + " is not on the build's classpath", e);
    }
    Set<String> subcommands = new CommandLine(command).getSubcommands().keySet();
    assertFalse(args.isEmpty(), where + ": arguments");
    assertTrue(
        subcommands.contains(args.get(0)),
        where + ": '" + args.get(0) + "' is not a subcommand of " + mainClass + " " + subcommands);
    checkJar(where, image, jar);

    String conf = argumentAfter("--conf", args);
    assertTrue(
        Files.isRegularFile(image.repositoryFile(conf)),
        where + ": --conf " + conf + " is a file the image copies from conf/");

    if (!args.contains("--stages")) {
      return STAGES;
    }
    List<String> stages = List.of(argumentAfter("--stages", args).split(","));
    for (String stage : stages) {
      assertTrue(STAGES.contains(stage), where + ": --stages " + stage + " is not one of " + STAGES);
    }
    return stages;
  }

  /** The image's jar comes from the build's output: its COPY source names the build's finalName. */
  private static void checkJar(String where, Image image, String jar) {
    String source = image.source(jar);
    String fileName = property("adapterforge.build.final.name") + ".jar";
    assertTrue(
        FileSystems.getDefault().getPathMatcher("glob:" + source).matches(Path.of("pipeline-jobs/target", fileName)),
        where + ": " + jar + " is copied from " + source + ", which is not the build's " + fileName);
  }

  /** The Spark settings of every {@code --conf FILE} in {@code args} (each file's spark section, later files winning), by full key. */
  private static Config sparkSettings(List<String> args, Image image) {
    Config settings = ConfigFactory.empty();
    for (int i = 0; i + 1 < args.size(); i++) {
      if (args.get(i).equals("--conf")) {
        Config file = ConfigFactory.parseFile(image.repositoryFile(args.get(i + 1)).toFile()).resolve();
        if (file.hasPath("spark")) {
          settings = file.getConfig("spark").atKey("spark").withFallback(settings);
        }
      }
    }
    return settings;
  }

  private static String argumentAfter(String option, List<String> args) {
    int at = args.indexOf(option);
    assertTrue(at >= 0 && at + 1 < args.size(), option + " with a value in " + args);
    return args.get(at + 1);
  }

  /** Airflow's {{ params.x }} replaced by the DAG's default for x; any other template is an error. */
  private static String render(String value, Map<String, String> params, String taskId) {
    Matcher m = PARAM_TEMPLATE.matcher(value);
    StringBuilder rendered = new StringBuilder();
    while (m.find()) {
      String param = params.get(m.group(1));
      assertNotNull(param, taskId + ": no DAG param '" + m.group(1) + "' for " + value);
      m.appendReplacement(rendered, Matcher.quoteReplacement(param));
    }
    m.appendTail(rendered);
    assertFalse(rendered.toString().contains("{{"), taskId + ": a template this test cannot render: " + value);
    return rendered.toString();
  }

  /** Absolute paths in the conf's command sections that the image does not provide. */
  private static Set<String> localPaths(Config conf) {
    Set<String> paths = new TreeSet<>();
    conf.entrySet().stream()
        .filter(e -> !e.getKey().startsWith("spark."))
        .filter(e -> e.getValue().valueType() == ConfigValueType.STRING)
        .map(e -> (String) e.getValue().unwrapped())
        .filter(v -> v.startsWith("/") && !v.startsWith(Image.HOME))
        .forEach(paths::add);
    return paths;
  }

  /** The DAG's SparkSubmitOperator calls as python3's ast module reads them (airflow_dag_calls.py). */
  private static JsonNode readDag(Path dag) throws IOException, InterruptedException, URISyntaxException {
    Path script = Path.of(WorkflowFilesTest.class.getResource("airflow_dag_calls.py").toURI());
    Process process;
    try {
      process = new ProcessBuilder("python3", script.toString(), dag.toString()).start();
    } catch (IOException e) {
      throw new AssertionError("python3 is needed to read " + dag + " and was not found on PATH", e);
    }
    process.getOutputStream().close();
    byte[] out = process.getInputStream().readAllBytes();
    String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "python3 finished");
    if (process.exitValue() != 0) {
      fail("python3 could not read " + dag + ":\n" + err);
    }
    return new ObjectMapper().readTree(out);
  }

  /**
   * A Dockerfile's COPY destinations and their sources. A source from the build stage is a path under its
   * WORKDIR /src, which holds the repository; any other is a path in the build context, the repository root.
   */
  private record Image(Path dockerfile, Map<String, String> sources) {
    static final String HOME = "/opt/adapterforge/";
    private static final String BUILD_ROOT = "/src/";

    static Image read(Path dockerfile) throws IOException {
      Map<String, String> sources = new HashMap<>();
      String text = Files.readString(dockerfile).replaceAll("\\\\\\n", " ");
      for (String line : text.split("\n")) {
        List<String> words = new ArrayList<>(List.of(line.trim().split("\\s+")));
        if (!words.get(0).equals("COPY")) {
          continue;
        }
        boolean fromBuild = words.remove("--from=build");
        words.removeIf(w -> w.startsWith("--"));
        if (words.size() != 3 || (words.get(1).startsWith("/") && !fromBuild)) {
          continue; // several sources, or files from another image: nothing of the repository's
        }
        String source = words.get(1);
        if (fromBuild) {
          assertTrue(source.startsWith(BUILD_ROOT), dockerfile + ": a build-stage path under " + BUILD_ROOT + ": " + line);
          source = source.substring(BUILD_ROOT.length());
        }
        sources.put(words.get(2), source);
      }
      return new Image(dockerfile, sources);
    }

    /** The repository path (a glob for the build's outputs) the image's file at path is copied from. */
    String source(String path) {
      assertTrue(path.startsWith(HOME), path + " is not under the image's " + HOME);
      String exact = sources.get(path);
      if (exact != null) {
        return exact;
      }
      return sources.entrySet().stream()
          .filter(e -> e.getKey().endsWith("/") && path.startsWith(e.getKey()))
          .map(e -> e.getValue() + path.substring(e.getKey().length()))
          .findFirst()
          .orElseThrow(() -> new AssertionError(dockerfile + " copies nothing to " + path + ": " + sources));
    }

    Path repositoryFile(String path) {
      return PROJECT.resolve(source(path));
    }
  }
}
