package dev.adapterforge.job;

import java.io.PrintWriter;
import java.io.StringWriter;

/** One in-process run of a command line through {@link CommandRunner}, with what it printed. */
public record CommandRun(int exitCode, String out, String err) {
  public static CommandRun of(Object command, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = CommandRunner.run(command, args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new CommandRun(code, out.toString(), err.toString());
  }

  @Override
  public String toString() {
    return "exit " + exitCode + "\n--- out\n" + out + "--- err\n" + err;
  }
}
