package dev.adapterforge.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine;

/** The version this build was made from, from a resource Maven filters at build time. */
public final class BuildInfo implements CommandLine.IVersionProvider {
  private static final String RESOURCE = "/adapterforge-build.properties";

  public static String version() {
    try (InputStream in = BuildInfo.class.getResourceAsStream(RESOURCE)) {
      Properties props = new Properties();
      props.load(in);
      return props.getProperty("version");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public String[] getVersion() {
    return new String[] {
      "adapterforge " + version(),
      "Java " + Runtime.version() + ", Spark " + org.apache.spark.package$.MODULE$.SPARK_VERSION()
    };
  }
}
