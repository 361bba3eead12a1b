package dev.adapterforge.registry;

import dev.adapterforge.job.SparkOptions;
import picocli.CommandLine.Option;

/** {@code --registry URI}, defaulting to the registry under the state root. */
public final class RegistryOption {
  @Option(
      names = "--registry",
      paramLabel = "URI",
      description = "The registry (any Hadoop URI): its Delta table is URI/table. Default: ROOT/registry.")
  String registry;

  public String uri(SparkOptions sparkOptions) {
    return registry != null ? registry : sparkOptions.root().resolve("registry").toAbsolutePath().toUri().toString();
  }
}
