package dev.adapterforge.job;

/**
 * A problem with the command line, a config file or an input path, found before any Spark work starts.
 * The CLI prints its message as one line and exits with status 2.
 */
public final class UsageException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public UsageException(String message) {
    super(message);
  }

  public UsageException(String message, Throwable cause) {
    super(message, cause);
  }
}
