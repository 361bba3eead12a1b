package dev.adapterforge.cli;

import dev.adapterforge.job.Range;
import dev.adapterforge.job.TextTable;
import dev.adapterforge.job.UsageException;
import dev.adapterforge.ops.encoder.FillMask;
import dev.adapterforge.ops.model.BaseModel;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code adapterforge fill-mask}: what the base model's MLM head predicts for each [MASK]; no Spark. */
@Command(
    name = "fill-mask",
    description =
        "Prints the top-k tokens and probabilities the base model (with --adapter inside, if given)"
            + " predicts for each [MASK] in --text.")
public final class FillMaskCommand implements Callable<Integer> {
  @Mixin ModelOptions model;

  @Option(names = "--text", required = true, description = "Text with one or more [MASK] tokens.")
  String text;

  @Range(min = 1)
  @Option(names = "--top-k", defaultValue = "5", description = "Candidates per mask.")
  int topK;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    BaseModel baseModel = model.baseModel();
    model.weights(); // loaded here, where a bad checkpoint is a usage error, and cached for FillMask
    List<List<FillMask.Prediction>> masks;
    try {
      masks =
          FillMask.of(baseModel, model.encoderAdapter(), model.adapterParameters()).predict(text, topK);
    } catch (IllegalArgumentException e) {
      throw new UsageException("--text: " + e.getMessage(), e);
    }
    if (masks.isEmpty()) {
      throw new UsageException("--text: has no mask token ([MASK] for BERT models)");
    }
    PrintWriter out = spec.commandLine().getOut();
    for (int m = 0; m < masks.size(); m++) {
      TextTable table = new TextTable("mask " + (m + 1), "token", "probability");
      int rank = 1;
      for (FillMask.Prediction p : masks.get(m)) {
        table.add(rank++, p.token(), String.format("%.4f", p.probability()));
      }
      out.print(table);
    }
    return 0;
  }
}
