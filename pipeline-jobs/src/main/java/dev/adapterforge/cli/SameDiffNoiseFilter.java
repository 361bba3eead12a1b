package dev.adapterforge.cli;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Standard output without the line ND4J 1.0.0-M2.1's SameDiff prints with {@code
 * System.out.println} for every op it differentiates (764 for mBERT with an adapter, each time a
 * training graph is built), which would bury a command's own output. Everything else passes.
 */
final class SameDiffNoiseFilter extends PrintStream {
  static final String PREFIX = "Added differentiated op ";

  SameDiffNoiseFilter(PrintStream out) {
    super(out, true, StandardCharsets.UTF_8);
  }

  @Override
  public void println(String line) {
    if (line == null || !line.startsWith(PREFIX)) {
      super.println(line);
    }
  }
}
