package dev.adapterforge.registry;

import static org.apache.spark.sql.functions.col;

import dev.adapterforge.job.Range;
import dev.adapterforge.job.SparkJob;
import dev.adapterforge.job.TextTable;
import dev.adapterforge.job.UsageException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code adapterforge registry ...}: read, promote and download what the registry holds. */
@Command(
    name = "registry",
    description = "Queries and changes the adapter registry.",
    subcommands = {
      RegistryCommand.ListVersions.class,
      RegistryCommand.Show.class,
      RegistryCommand.History.class,
      RegistryCommand.Get.class,
      RegistryCommand.Promote.class,
      RegistryCommand.Export.class
    })
public final class RegistryCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "missing subcommand: one of " + spec.subcommands().keySet());
  }

  /** A registry subcommand about one name: checked before Spark starts. */
  abstract static class NamedRegistryJob extends RegistryJob {
    @Parameters(index = "0", paramLabel = "NAME") String name;

    @Override
    protected void validate() {
      RegistryName.require(name, "NAME");
    }
  }

  /** A registry subcommand: the registry it works on, and its printer. */
  abstract static class RegistryJob extends SparkJob {
    @Mixin RegistryOption registry;

    AdapterRegistry registry(SparkSession spark) {
      return AdapterRegistry.at(spark, registry.uri(sparkOptions));
    }

    PrintWriter out() {
      return spec.commandLine().getOut();
    }
  }

  @Command(name = "list", description = "Lists every version: name, version, language, method, stage, metrics.")
  static final class ListVersions extends RegistryJob {
    @Option(names = "--as-of", paramLabel = "VERSION|TIMESTAMP", description = "The registry as it was at a Delta table version or timestamp.")
    String asOf;

    @Option(names = "--language", description = "Only this language.")
    String language;

    @Override
    protected int run(SparkSession spark) {
      Dataset<Row> rows = registry(spark).rows(asOf);
      if (language != null) {
        rows = rows.where(col(RegistryTable.LANGUAGE).equalTo(language));
      }
      TextTable table = new TextTable("name", "version", "language", "method", "stage", "base model", "metrics", "size", "created");
      rows.orderBy(RegistryTable.NAME, RegistryTable.VERSION).collectAsList().forEach(r -> table.add(
          r.getAs(RegistryTable.NAME), r.getAs(RegistryTable.VERSION), r.getAs(RegistryTable.LANGUAGE), r.getAs("method"),
          r.getAs(RegistryTable.STAGE), r.getAs("base_model_id"), r.getJavaMap(r.fieldIndex("metrics")),
          r.getAs("size_bytes"), r.getAs(RegistryTable.CREATED_AT)));
      out().print(table);
      return 0;
    }
  }

  @Command(name = "show", description = "Every field of one version, as JSON.")
  static final class Show extends NamedRegistryJob {
    @Range(min = 1)
    @Option(names = "--version", description = "The version. Default: the production version.")
    Long version;

    @Override
    protected int run(SparkSession spark) {
      Row row = registry(spark).resolve(name, version, Stage.production);
      out().println(row.json());
      return 0;
    }
  }

  @Command(name = "history", description = "The registry table's Delta history: every publish and promote.")
  static final class History extends RegistryJob {
    @Override
    protected int run(SparkSession spark) {
      TextTable table = new TextTable("table version", "timestamp", "operation", "parameters");
      registry(spark).history().select("version", "timestamp", "operation", "operationParameters").orderBy("version").collectAsList()
          .forEach(r -> table.add(r.get(0), r.get(1), r.get(2), r.getJavaMap(3)));
      out().print(table);
      return 0;
    }
  }

  @Command(name = "get", description = "Downloads a version's artifact into --to and verifies every file's SHA-256.")
  static final class Get extends NamedRegistryJob {
    @Range(min = 1)
    @Option(names = "--version", description = "The version. Default: the version in --stage.")
    Long version;

    @Option(names = "--stage", defaultValue = "production", description = "Stage to take the version from when --version is not given.")
    Stage stage;

    @Option(names = "--to", required = true, paramLabel = "DIR", description = "Folder to download into.")
    Path to;

    @Override
    protected int run(SparkSession spark) {
      AdapterRegistry adapters = registry(spark);
      Row row = adapters.resolve(name, version, stage);
      adapters.download(row, to);
      out().printf("%s version %d -> %s (%d files verified)%n", name, row.<Long>getAs(RegistryTable.VERSION), to,
          row.getList(row.fieldIndex(RegistryTable.FILES)).size());
      return 0;
    }
  }

  @Command(name = "promote", description = "Moves a version to production and the previous production version to archived, in one transaction.")
  static final class Promote extends NamedRegistryJob {
    @Range(min = 1)
    @Option(names = "--version", required = true, description = "The version to put in production.")
    long version;

    @Override
    protected int run(SparkSession spark) {
      registry(spark).promote(name, version);
      out().printf("%s version %d is in production%n", name, version);
      return 0;
    }
  }

  @Command(name = "export", description = "Writes the registry's rows as JSON lines or CSV, for tools that read neither Delta nor Spark.")
  static final class Export extends RegistryJob {
    @Option(names = "--to", required = true, paramLabel = "DIR", description = "Output folder (any Hadoop URI).")
    String to;

    @Option(names = "--format", defaultValue = "json", description = "json or csv (csv flattens files and metrics to JSON text).")
    String format;

    @Option(names = "--as-of", paramLabel = "VERSION|TIMESTAMP", description = "The registry as it was at a Delta table version or timestamp.")
    String asOf;

    @Override
    protected void validate() {
      if (!List.of("json", "csv").contains(format)) {
        throw new UsageException("--format: expected json or csv, got '" + format + "'");
      }
    }

    @Override
    protected int run(SparkSession spark) {
      Dataset<Row> rows = registry(spark).rows(asOf);
      if (format.equals("csv")) {
        rows = rows.withColumn("data_inputs", org.apache.spark.sql.functions.to_json(col("data_inputs")))
            .withColumn("metrics", org.apache.spark.sql.functions.to_json(col("metrics")))
            .withColumn(RegistryTable.FILES, org.apache.spark.sql.functions.to_json(col(RegistryTable.FILES)));
      }
      rows.coalesce(1).write().mode("errorifexists").option("header", "true").format(format).save(to);
      out().printf("Exported %d rows to %s%n", rows.count(), to);
      return 0;
    }
  }
}
