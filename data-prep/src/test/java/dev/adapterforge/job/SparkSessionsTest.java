package dev.adapterforge.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class SparkSessionsTest {
  @TempDir Path root;

  private SparkConf conf(String... args) {
    String[] all = new String[args.length + 2];
    all[0] = "--root";
    all[1] = root.toString();
    System.arraycopy(args, 0, all, 2, args.length);
    return SparkSessions.conf("test", CommandLine.populateCommand(new SparkOptions(), all));
  }

  @Test
  void embeddedDefaultsAreLocalDeltaAndAWarehouseUnderTheRoot() {
    SparkConf conf = conf();
    assertEquals("local[*]", conf.get("spark.master"));
    assertEquals(SparkSessions.DELTA_EXTENSION, conf.get("spark.sql.extensions"));
    assertEquals(SparkSessions.DELTA_CATALOG, conf.get("spark.sql.catalog.spark_catalog"));
    assertEquals(root.resolve("warehouse").toUri().toString(), conf.get("spark.sql.warehouse.dir"));
  }

  @Test
  void explicitMasterAndLaterSettingsWin() throws IOException {
    Path file = root.resolve("a.conf");
    Files.writeString(file, "spark { master = \"local[3]\", sql.shuffle.partitions = 7 }");

    SparkConf fromFile = conf("--conf", file.toString());
    assertEquals("local[3]", fromFile.get("spark.master"));
    assertEquals("7", fromFile.get("spark.sql.shuffle.partitions"));

    SparkConf overridden =
        conf("--conf", file.toString(), "--conf", "spark.sql.shuffle.partitions=3", "--master", "local[1]");
    assertEquals("local[1]", overridden.get("spark.master"));
    assertEquals("3", overridden.get("spark.sql.shuffle.partitions"));
  }

  @Test
  void userExtensionsKeepDeltaBesideThem() {
    SparkConf conf = conf("--conf", "spark.sql.extensions=com.example.Ext");
    assertEquals("com.example.Ext," + SparkSessions.DELTA_EXTENSION, conf.get("spark.sql.extensions"));
  }

  @Test
  void nonSparkKeysAreRefused() {
    UsageException e = assertThrows(UsageException.class, () -> conf("--conf", "sql.shuffle.partitions=3"));
    assertTrue(e.getMessage().contains("'sql.shuffle.partitions'"), e.getMessage());
  }

  @Test
  void launcherJarShipsOnlyToExecutorsInOtherJvms() {
    System.setProperty(SparkSessions.APP_JAR_PROPERTY, "/opt/app.jar");
    try {
      assertFalse(conf("--master", "local[2]").contains("spark.jars"));
      assertEquals("/opt/app.jar", conf("--master", "local-cluster[2,1,1024]").get("spark.jars"));
      assertEquals("/opt/app.jar", conf("--master", "spark://host:7077").get("spark.jars"));
    } finally {
      System.clearProperty(SparkSessions.APP_JAR_PROPERTY);
    }
  }

  @Test
  void executorsGetTheVectorApiModuleAndTheDriversBlasBesideAnyDefaultOptions() {
    // the build names MKL for the tests' JVM, as a caller may: a named BLAS goes to every executor
    String training = SparkSessions.VECTOR_MODULE_OPTION + " -Dorg.bytedeco.openblas.load=mkl_rt";
    assertEquals(training, conf().get(SparkSessions.EXECUTOR_DEFAULT_JAVA_OPTIONS));
    assertEquals("GNU", conf().get("spark.executorEnv.MKL_THREADING_LAYER"));
    String admins = "-XX:+UseG1GC " + training;
    assertEquals(admins, conf("--conf", "spark.executor.defaultJavaOptions=-XX:+UseG1GC").get(SparkSessions.EXECUTOR_DEFAULT_JAVA_OPTIONS));
    assertEquals(admins, conf("--conf", "spark.executor.defaultJavaOptions=" + admins).get(SparkSessions.EXECUTOR_DEFAULT_JAVA_OPTIONS));
    String openBlas = "-Dorg.bytedeco.openblas.load=openblas";
    assertEquals(openBlas + " " + SparkSessions.VECTOR_MODULE_OPTION,
        conf("--conf", "spark.executor.defaultJavaOptions=" + openBlas).get(SparkSessions.EXECUTOR_DEFAULT_JAVA_OPTIONS));
  }

  /** Without a named BLAS, each executor chooses for its own CPU when it starts. */
  @Test
  void executorsStartTheBlasPluginBesideAnyOfTheUsersPlugins() {
    assertEquals(BlasPlugin.class.getName(), conf().get(SparkSessions.PLUGINS));
    assertEquals("com.example.Profiler," + BlasPlugin.class.getName(),
        conf("--conf", "spark.plugins=com.example.Profiler").get(SparkSessions.PLUGINS));
    assertEquals(BlasPlugin.class.getName() + ",com.example.Profiler",
        conf("--conf", "spark.plugins=" + BlasPlugin.class.getName() + ",com.example.Profiler").get(SparkSessions.PLUGINS));
  }
}
