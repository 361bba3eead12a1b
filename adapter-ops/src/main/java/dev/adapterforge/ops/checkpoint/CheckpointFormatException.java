package dev.adapterforge.ops.checkpoint;

import java.io.IOException;
import java.nio.file.Path;

/** A checkpoint file that is corrupt, truncated or not in the format it claims. */
public class CheckpointFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  public CheckpointFormatException(Path file, String problem) {
    super(file + ": " + problem);
  }

  public CheckpointFormatException(Path file, String problem, Throwable cause) {
    super(file + ": " + problem, cause);
  }
}
