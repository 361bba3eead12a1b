package dev.adapterforge.bench;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The benchmark commands. */
@Command(
    name = "bench",
    description = "Benchmarks: run the real job or training on generated or sample data, print its figures.",
    subcommands = {PrepGlotccBench.class, PrepConceptNetBench.class, AdapterTrainingBench.class, TrainingBench.class})
public final class Bench implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "missing benchmark: one of " + spec.subcommands().keySet());
  }
}
