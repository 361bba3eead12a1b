package dev.adapterforge.job;

/**
 * A job that ran and could not produce what it was asked for, for a reason its message says in full
 * (nothing usable in the input, say): the CLI prints the message as one line, with no stack trace,
 * and exits with status 1.
 */
public final class JobFailedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public JobFailedException(String message) {
    super(message);
  }
}
