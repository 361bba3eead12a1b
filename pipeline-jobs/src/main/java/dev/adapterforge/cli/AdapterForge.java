package dev.adapterforge.cli;

import dev.adapterforge.bench.Bench;
import dev.adapterforge.doctor.Doctor;
import dev.adapterforge.evaluate.EvaluateMlmCommand;
import dev.adapterforge.job.CommandRunner;
import dev.adapterforge.ops.runtime.BlasChoice;
import dev.adapterforge.pipeline.PipelineCommand;
import dev.adapterforge.prep.conceptnet.ConceptNetPrep;
import dev.adapterforge.prep.glotcc.GlotccPrep;
import dev.adapterforge.registry.PublishCommand;
import dev.adapterforge.registry.RegistryCommand;
import dev.adapterforge.train.TrainCommand;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code adapterforge <command> [options]}: the main class of the application jar, run by
 * bin/adapterforge on an embedded Spark or by spark-submit on a cluster, unchanged.
 *
 * <p>Exit status: 0 success, 1 the job failed, 2 a bad command line, config file or input path,
 * reported in one line before any Spark work.
 */
@Command(
    name = "adapterforge",
    mixinStandardHelpOptions = true,
    scope = CommandLine.ScopeType.INHERIT,
    versionProvider = BuildInfo.class,
    description = "Turns multilingual corpora into trained, versioned language adapters on Spark.",
    subcommands = {
      GlotccPrep.class, ConceptNetPrep.class, PublishCommand.class, RegistryCommand.class, FillMaskCommand.class,
      EvaluateMlmCommand.class, TrainCommand.class, PipelineCommand.class, Doctor.class, Bench.class,
      CommandLine.HelpCommand.class
    },
    footer = {
      "",
      // lines under the help's 80 columns, which picocli would otherwise wrap one by one
      "Every command takes --conf KEY=VALUE (a Spark setting) or --conf FILE (a HOCON",
      "file with a section per command and a 'spark' section; see conf/).",
      "Command-line options override the file."
    })
public final class AdapterForge implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(
        spec.commandLine(), "missing command: one of " + spec.subcommands().keySet());
  }

  public static void main(String[] args) {
    BlasChoice.forThisCpu(); // before anything loads ND4J
    PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
    PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
    System.setOut(new SameDiffNoiseFilter(System.out));
    int status = CommandRunner.run(new AdapterForge(), args, out, err);
    // autoflush covers println only: a command ending with print(table) would lose it at exit
    out.flush();
    err.flush();
    System.exit(status);
  }
}
