package dev.adapterforge.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.adapterforge.cli.AdapterForge;
import dev.adapterforge.job.CommandRun;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The command on a tiny model, each configuration in its real child JVM; no timing is asserted. */
class TrainingBenchTest {
  @TempDir Path work;

  @Test
  void printsARowPerConfigurationAndTheSummaryLast() throws Exception {
    CommandRun run =
        CommandRun.of(new AdapterForge(), "bench", "train", "--shape", "tiny:2,32,4,64,200,16,3", "--methods", "seq_bn",
            "--warmup", "1", "--steps", "2", "--torch", "off", "--gemm-size", "256", "--work", work.toString());
    assertEquals(0, run.exitCode(), run.toString());
    List<String> lines = run.out().strip().lines().toList();
    for (String head : List.of("all", "masked")) {
      String row = lines.stream().filter(line -> line.startsWith("tiny ")).filter(line -> line.split("\\s+")[2].equals(head))
          .findFirst().orElseThrow(() -> new AssertionError("no row for head " + head + ":\n" + run));
      String[] cells = row.split("\\s+");
      // median ms, min ms, tok/s, real tok/s, GFLOP/s, % GEMM, peak heap MB, peak RSS MB
      for (int column = 3; column <= 10; column++) {
        double value = Double.parseDouble(cells[column].replace("%", ""));
        assertTrue(value > 0 && Double.isFinite(value), "column " + column + " of " + row);
      }
      assertEquals("-", cells[12], "no torch figures with --torch off: " + row);
    }
    JsonNode summary = new ObjectMapper().readTree(lines.get(lines.size() - 1));
    for (String key : List.of("tokens_per_s", "gflops", "gemm_limit_gflops", "peak_bytes")) {
      assertTrue(summary.get(key).asDouble() > 0, key + " in " + summary);
    }
    assertTrue(summary.get("pytorch_tokens_per_s").isNull() && summary.get("ratio").isNull(), summary.toString());
    assertEquals("tiny seq_bn all", summary.get("case").asText());
  }

  static Stream<Arguments> badOptions() {
    return Stream.of(
        Arguments.of(List.of("--methods", "seq_bn,nope"), "--methods"),
        Arguments.of(List.of("--methods", "lt_sft"), "--methods"),
        Arguments.of(List.of("--models", "huge"), "--models: unknown model \"huge\""),
        Arguments.of(List.of("--heads", "some"), "--heads: unknown head \"some\""),
        Arguments.of(List.of("--shape", "tiny:2,32,4"), "--shape: \"tiny:2,32,4\" is not NAME:"),
        Arguments.of(List.of("--shape", "tiny:2,30,4,64,200,16,3"), "--shape: hidden_size 30 is not a multiple"),
        Arguments.of(List.of("--torch", "maybe"), "--torch"));
  }

  @ParameterizedTest
  @MethodSource("badOptions")
  void aBadOptionIsAUsageErrorNamingIt(List<String> options, String message) {
    String[] args = Stream.concat(Stream.of("bench", "train", "--work", work.toString()), options.stream()).toArray(String[]::new);
    CommandRun run = CommandRun.of(new AdapterForge(), args);
    assertEquals(2, run.exitCode(), run.toString());
    assertTrue(run.err().contains(message), run.toString());
  }
}
