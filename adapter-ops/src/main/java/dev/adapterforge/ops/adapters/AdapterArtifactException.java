package dev.adapterforge.ops.adapters;

import java.io.IOException;
import java.nio.file.Path;

/** An adapter folder that cannot be loaded as it is, with the folder in the message. */
public class AdapterArtifactException extends IOException {
  private static final long serialVersionUID = 1L;

  public AdapterArtifactException(Path directory, String problem) {
    super(directory + ": " + problem);
  }

  public AdapterArtifactException(Path directory, String problem, Throwable cause) {
    super(directory + ": " + problem, cause);
  }
}
