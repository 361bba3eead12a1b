package dev.adapterforge.ops.model;

import java.io.IOException;

/**
 * A {@code --base-model} value that cannot be resolved; the message says what is missing and what
 * to do.
 */
public class BaseModelException extends IOException {
  private static final long serialVersionUID = 1L;

  public BaseModelException(String value, String problem) {
    super(BaseModelResolver.OPTION + " " + value + ": " + problem);
  }

  public BaseModelException(String value, String problem, Throwable cause) {
    super(BaseModelResolver.OPTION + " " + value + ": " + problem, cause);
  }
}
