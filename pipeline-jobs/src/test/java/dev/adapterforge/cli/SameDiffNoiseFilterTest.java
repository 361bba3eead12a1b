package dev.adapterforge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SameDiffNoiseFilterTest {
  @Test
  void dropsOnlySameDiffsDifferentiationLines() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream filtered = new SameDiffNoiseFilter(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    filtered.println("Added differentiated op matmul_8");
    filtered.println("method  steps");
    filtered.println((String) null);
    filtered.print("Added differentiated op ");
    assertEquals("method  steps\nnull\nAdded differentiated op ", bytes.toString(StandardCharsets.UTF_8));
  }
}
