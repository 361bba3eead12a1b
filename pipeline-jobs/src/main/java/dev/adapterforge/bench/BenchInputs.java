package dev.adapterforge.bench;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options every prep benchmark takes: what its corpus is generated from, and the tokenizer. */
final class BenchInputs {
  @Option(names = "--paragraphs", defaultValue = BenchCorpus.DEFAULT_PARAGRAPHS, paramLabel = "TSV", description = "Real sentences to generate the corpus from.")
  Path paragraphs;

  @Option(names = "--base-model", defaultValue = "mbert", description = "Tokenizer for the prep job.")
  String baseModel;

  @Option(names = "--seed", defaultValue = "42", description = "Seed of the generated corpus.")
  long seed;
}
