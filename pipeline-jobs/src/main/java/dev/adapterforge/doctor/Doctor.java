package dev.adapterforge.doctor;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.min;

import dev.adapterforge.job.Range;
import dev.adapterforge.job.SparkJob;
import dev.adapterforge.job.TextTable;
import dev.adapterforge.ops.runtime.Nd4jRuntime;
import io.delta.tables.DeltaTable;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs probe tasks on every executor, each loading ND4J and computing with it, writes what they saw to
 * a Delta table under the state root, reads it back, and prints the result. Exit status 1 if any
 * check fails.
 */
@Command(
    name = "doctor",
    description = {
      "Checks a deployment end to end: Spark executors, the ND4J backend in every executor JVM,",
      "and a Delta table round trip under --root (table 'doctor')."
    })
public final class Doctor extends SparkJob {
  private static final Logger LOG = LoggerFactory.getLogger(Doctor.class);

  static final StructType PROBE_SCHEMA =
      new StructType()
          .add("task", DataTypes.IntegerType, false)
          .add("executor_id", DataTypes.StringType, false)
          .add("host", DataTypes.StringType, false)
          .add("pid", DataTypes.LongType, false)
          .add("nd4j_backend", DataTypes.StringType, false)
          .add("blas", DataTypes.StringType, false)
          .add("omp_threads", DataTypes.IntegerType, false)
          .add("matmul_correct", DataTypes.BooleanType, false)
          .add("fused_kernels", DataTypes.BooleanType, false);

  @Range(min = 0)
  @Option(
      names = "--tasks",
      defaultValue = "0",
      description = "Probe tasks to run; 0 means two per core Spark reports.")
  int tasks;

  @Range(min = 0)
  @Option(
      names = "--expect-executors",
      defaultValue = "0",
      description = "Fail unless at least this many executor JVMs besides the driver ran probes (0: no check).")
  int expectExecutors;

  @Range(min = 0)
  @Option(
      names = "--executor-wait-seconds",
      defaultValue = "120",
      description = "How long to wait for --expect-executors executors to register.")
  int executorWaitSeconds;

  @Override
  protected int run(SparkSession spark) throws InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    int registered = waitForExecutors(jsc);
    if (registered < expectExecutors) {
      // Tasks would wait forever for executors that cannot start; their logs say why.
      out.printf(
          "FAILED: %d of %d executors registered within %d s (see the executor logs of %s)%n",
          registered, expectExecutors, executorWaitSeconds, jsc.sc().applicationId());
      return 1;
    }

    int taskCount = tasks > 0 ? tasks : 2 * jsc.defaultParallelism();
    List<Row> probes =
        jsc.parallelize(IntStream.range(0, taskCount).boxed().toList(), taskCount)
            .mapPartitions(Doctor::probe)
            .collect();

    String table = sparkOptions.root().resolve("doctor").toAbsolutePath().toUri().toString();
    long driverPid = ProcessHandle.current().pid();
    spark
        .createDataFrame(probes, PROBE_SCHEMA)
        .withColumn("driver_pid", lit(driverPid))
        .write()
        .format("delta")
        .mode("overwrite")
        .save(table);
    Dataset<Row> readBack = spark.read().format("delta").load(table);
    long deltaVersion = DeltaTable.forPath(spark, table).history(1).first().getAs("version");

    TextTable executors = new TextTable(
            "executor", "host", "pid", "tasks", "nd4j backend", "blas", "omp threads", "fused kernels", "matmul");
    readBack
        .groupBy("executor_id", "host", "pid", "nd4j_backend", "blas", "omp_threads", "fused_kernels")
        .agg(count(lit(1)).as("tasks"), min(col("matmul_correct")).as("matmul_correct"))
        .orderBy("executor_id", "pid")
        .collectAsList()
        .forEach(
            r ->
                executors.add(
                    r.getAs("executor_id"), r.getAs("host"), r.getAs("pid"), r.getAs("tasks"),
                    r.getAs("nd4j_backend"), r.getAs("blas"), r.getAs("omp_threads"),
                    (boolean) r.getAs("fused_kernels") ? "on" : "off", (boolean) r.getAs("matmul_correct") ? "ok" : "WRONG"));

    long executorJvms =
        readBack.filter(col("pid").notEqual(lit(driverPid))).agg(countDistinct("pid")).first().getLong(0);
    long rowsReadBack = readBack.count();
    boolean matmulOk = readBack.filter(col("matmul_correct").equalTo(false)).isEmpty();

    List<String> failures = new ArrayList<>();
    if (!matmulOk) {
      failures.add("a probe's ND4J matrix product was wrong");
    }
    if (rowsReadBack != taskCount) {
      failures.add("Delta read back " + rowsReadBack + " rows, wrote " + taskCount);
    }
    if (executorJvms < expectExecutors) {
      failures.add("probes ran in " + executorJvms + " executor JVMs, expected " + expectExecutors);
    }

    out.printf(
        "Spark %s, master %s, application %s, driver pid %d%n",
        spark.version(), jsc.master(), jsc.sc().applicationId(), driverPid);
    out.print(executors);
    out.printf("Delta: %s version %d, wrote %d rows, read back %d%n", table, deltaVersion, taskCount, rowsReadBack);
    out.printf("Executor JVMs besides the driver: %d%n", executorJvms);
    failures.forEach(f -> out.println("FAILED: " + f));
    out.println(failures.isEmpty() ? "doctor: all checks passed" : "doctor: " + failures.size() + " check(s) failed");
    return failures.isEmpty() ? 0 : 1;
  }

  /** Executors registered (the driver not counted) once {@code --expect-executors} are, or time ran out. */
  private int waitForExecutors(JavaSparkContext jsc) throws InterruptedException {
    long deadline = System.nanoTime() + executorWaitSeconds * 1_000_000_000L;
    int registered;
    while ((registered = jsc.sc().statusTracker().getExecutorInfos().length - 1) < expectExecutors
        && System.nanoTime() < deadline) {
      LOG.info("Waiting for executors: {} of {} registered", registered, expectExecutors);
      Thread.sleep(1000);
    }
    return registered;
  }

  private static Iterator<Row> probe(Iterator<Integer> taskIds) throws Exception {
    Nd4jRuntime nd4j = Nd4jRuntime.probe();
    String executorId = SparkEnv.get().executorId();
    String host = InetAddress.getLocalHost().getHostName();
    long pid = ProcessHandle.current().pid();
    List<Row> rows = new ArrayList<>();
    taskIds.forEachRemaining(
        task ->
            rows.add(
                RowFactory.create(
                    task, executorId, host, pid, nd4j.backend(), nd4j.blasVendor(), nd4j.ompThreads(),
                    nd4j.matmulCorrect(), nd4j.fusedKernels())));
    LOG.debug("probe task {} ran in executor {} (pid {})", TaskContext.getPartitionId(), executorId, pid);
    return rows.iterator();
  }
}
