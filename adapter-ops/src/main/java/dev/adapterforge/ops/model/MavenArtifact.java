package dev.adapterforge.ops.model;

import java.nio.file.Path;

/** A jar's Maven coordinates, and where Maven keeps it in a local repository. */
record MavenArtifact(String groupId, String artifactId, String version) {

  /** Parses {@code groupId:artifactId:version}. */
  static MavenArtifact parse(String coordinates) {
    String[] parts = coordinates.split(":");
    if (parts.length != 3 || coordinates.contains("${")) {
      throw new IllegalArgumentException(
          "not groupId:artifactId:version (was the resource filtered by Maven?): " + coordinates);
    }
    return new MavenArtifact(parts[0], parts[1], parts[2]);
  }

  /** The jar's path in a local repository laid out as Maven lays it out. */
  Path jarIn(Path repository) {
    return repository
        .resolve(groupId.replace('.', '/'))
        .resolve(artifactId)
        .resolve(version)
        .resolve(artifactId + "-" + version + ".jar");
  }

  @Override
  public String toString() {
    return groupId + ":" + artifactId + ":" + version;
  }
}
