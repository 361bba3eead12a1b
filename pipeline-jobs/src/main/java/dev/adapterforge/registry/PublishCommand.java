package dev.adapterforge.registry;

import dev.adapterforge.cli.BuildInfo;
import dev.adapterforge.job.SparkJob;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code adapterforge publish}: one artifact folder into the registry, as a new version or not at all. */
@Command(
    name = "publish",
    description = {
      "Publishes an adapter artifact folder (adapter_config.json + weights) to the registry: copies its",
      "files and adds a version in one Delta transaction; publishing the same content again is a no-op."
    })
public final class PublishCommand extends SparkJob {
  @Option(names = "--artifact", required = true, paramLabel = "DIR", description = "The artifact folder.")
  Path artifact;

  @Option(names = "--name", paramLabel = "NAME", description = "Registry name. Default: adapter_config.json's adapterforge.name, else LANGUAGE-METHOD.")
  String name;

  @Option(names = "--stage", defaultValue = "candidate", description = "Stage of the new version: ${COMPLETION-CANDIDATES}.")
  Stage stage;

  @Mixin RegistryOption registry;

  private ArtifactManifest manifest;

  @Override
  protected void validate() {
    manifest = ArtifactManifest.read(artifact);
    if (name != null) {
      RegistryName.require(name, "--name");
    } else {
      RegistryName.require(manifest.registryName(), "--artifact: " + artifact.resolve(ArtifactManifest.CONFIG) + "'s adapterforge.name");
    }
  }

  @Override
  protected int run(SparkSession spark) {
    AdapterRegistry.Published published =
        AdapterRegistry.at(spark, registry.uri(sparkOptions))
            .publish(manifest, name != null ? name : manifest.registryName(), stage, "adapterforge " + BuildInfo.version());
    spec.commandLine().getOut().printf(
        "%s %s version %d (%s)%n", published.created() ? "Published" : "Already published:", published.name(),
        published.version(), published.artifactUri());
    return 0;
  }
}
