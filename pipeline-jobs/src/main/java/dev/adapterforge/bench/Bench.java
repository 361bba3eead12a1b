package dev.adapterforge.bench;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The benchmark commands. */
@Command(
    name = "bench",
    description = "Benchmarks: generate a corpus, run the real job on it, print throughput per core.",
    subcommands = {PrepGlotccBench.class, PrepConceptNetBench.class})
public final class Bench implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "missing benchmark: one of " + spec.subcommands().keySet());
  }
}
