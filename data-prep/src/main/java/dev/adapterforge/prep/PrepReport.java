package dev.adapterforge.prep;

import dev.adapterforge.job.TextTable;
import java.util.Map;
import java.util.stream.Collectors;

/** The per-language summary a prep job prints when it has published its output. */
public final class PrepReport {
  private PrepReport() {}

  public static String table(CorpusStats stats) {
    TextTable table =
        new TextTable("language", "script", "input", "kept", "dropped", "train seq", "validation seq", "test seq", "tokens", "unk");
    stats.languages().forEach(
        (language, s) -> {
          long tokens = s.splits().values().stream().mapToLong(CorpusStats.SplitCounts::tokens).sum();
          table.add(
              language, s.script(), s.input(), s.kept(), dropped(s.dropped()),
              s.splits().get("train").sequences(), s.splits().get("validation").sequences(),
              s.splits().get("test").sequences(), tokens,
              String.format("%.1f%%", 100 * s.coverage().unkTokenShare()));
        });
    return table.toString();
  }

  private static String dropped(Map<String, Long> dropped) {
    return dropped.isEmpty()
        ? "-"
        : dropped.entrySet().stream()
            .sorted(Map.Entry.comparingByKey())
            .map(e -> e.getKey() + "=" + e.getValue())
            .collect(Collectors.joining(" "));
  }
}
