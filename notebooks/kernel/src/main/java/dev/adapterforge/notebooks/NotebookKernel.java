package dev.adapterforge.notebooks;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import jdk.jshell.DeclarationSnippet;
import jdk.jshell.Diag;
import jdk.jshell.EvalException;
import jdk.jshell.JShell;
import jdk.jshell.JShellException;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import jdk.jshell.SourceCodeAnalysis;
import jdk.jshell.execution.DirectExecutionControl;
import jdk.jshell.spi.ExecutionControl;
import jdk.jshell.spi.ExecutionControlProvider;
import jdk.jshell.spi.ExecutionEnv;
import org.dflib.jjava.jupyter.channels.JupyterConnection;
import org.dflib.jjava.jupyter.kernel.BaseKernel;
import org.dflib.jjava.jupyter.kernel.JupyterIO;
import org.dflib.jjava.jupyter.kernel.KernelConnectionProperties;
import org.dflib.jjava.jupyter.kernel.LanguageInfo;
import org.dflib.jjava.jupyter.kernel.ReplacementOptions;
import org.dflib.jjava.jupyter.kernel.comm.CommManager;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import org.dflib.jjava.jupyter.kernel.display.Renderer;
import org.dflib.jjava.jupyter.kernel.util.StringStyler;
import org.dflib.jjava.jupyter.kernel.util.TextColor;

/**
 * A Jupyter kernel that runs Java cells with JShell inside its own JVM: cells see this JVM's classpath
 * (the application jar and Spark's jars, as bin/adapterforge runs them) and its JVM flags, and
 * {@code org.dflib.jjava.jupyter.kernel.BaseNotebookStatics.display(...)} shows images and text.
 * Usage: {@code java -cp ... dev.adapterforge.notebooks.NotebookKernel CONNECTION_FILE}.
 */
public final class NotebookKernel extends BaseKernel {

  private final JShell shell;
  private final SourceCodeAnalysis analysis;
  private final CellExecution execution;

  private NotebookKernel(JShell shell, CellExecution execution) {
    super("AdapterForge JShell", "0.1.0", new LanguageInfo.Builder("Java")
            .version(Runtime.version().toString())
            .mimetype("text/x-java-source")
            .fileExtension(".jshell")
            .pygments("java")
            .codemirror("java")
            .build(),
        List.of(), null, new JupyterIO(StandardCharsets.UTF_8), new CommManager(), new Renderer(),
        null, null, false,
        new StringStyler.Builder()
            .addPrimaryStyle(TextColor.BOLD_RESET_FG)
            .addSecondaryStyle(TextColor.BOLD_RED_FG)
            .addHighlightStyle(TextColor.BOLD_RESET_FG)
            .build());
    this.shell = shell;
    this.analysis = shell.sourceCodeAnalysis();
    this.execution = execution;
  }

  public static void main(String[] args) throws Exception {
    // ND4J's BLAS for this CPU, before any cell loads ND4J; the application jar is on the kernel's
    // class path when it runs, not when it is built
    Class.forName("dev.adapterforge.ops.runtime.BlasChoice").getMethod("forThisCpu").invoke(null);
    if (args.length != 1 || !Files.isRegularFile(Path.of(args[0]))) {
      System.err.println("usage: NotebookKernel CONNECTION_FILE (the file Jupyter passes as {connection_file})");
      System.exit(2);
    }
    CellExecution execution = new CellExecution();
    JShell shell = JShell.builder()
        .executionEngine(new ExecutionControlProvider() {
          @Override
          public String name() {
            return "adapterforge-in-process";
          }

          @Override
          public ExecutionControl generate(ExecutionEnv env, Map<String, String> parameters) {
            return execution;
          }
        }, Map.of())
        .build();
    // The compiler sees only what is added here; at run time the snippets' class loader asks the
    // JVM's own class loader first, so each class exists once.
    shell.addToClasspath(System.getProperty("java.class.path"));

    NotebookKernel kernel = new NotebookKernel(shell, execution);
    JupyterConnection connection = new JupyterConnection(
        KernelConnectionProperties.parse(Files.readString(Path.of(args[0]))));
    kernel.onStartup();
    kernel.becomeHandlerForConnection(connection);
    connection.connect();
    connection.waitUntilClose();
    // A SparkSession a notebook left running has non-daemon threads that would keep the kernel alive.
    System.exit(0);
  }

  /**
   * Runs the cell's statements in order. As in IPython, a final expression without a semicolon is the
   * cell's result ({@code x * 2}) and one with a semicolon is not ({@code display(chart);}).
   */
  @Override
  public Object evalRaw(String source) {
    String result = null;
    SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(source);
    while (info.completeness().isComplete()) {
      String value = evalSnippet(info.source());
      result = info.source().strip().endsWith(";") ? null : value;
      info = analysis.analyzeCompletion(info.remaining());
    }
    if (info.completeness() != SourceCodeAnalysis.Completeness.EMPTY) {
      throw new CompileError("incomplete statement: " + info.remaining().trim());
    }
    return result;
  }

  private String evalSnippet(String code) {
    String value = null;
    for (SnippetEvent event : shell.eval(code)) {
      if (event.causeSnippet() != null) {
        continue; // an earlier snippet updated because of this one: not this cell's outcome
      }
      if (event.exception() != null) {
        throw new CellFailure(failure(event.exception()));
      }
      if (!event.status().isDefined()) {
        throw new CompileError(compileErrors(event.snippet()));
      }
      value = switch (event.snippet().subKind()) {
        case VAR_VALUE_SUBKIND, OTHER_EXPRESSION_SUBKIND, TEMP_VAR_EXPRESSION_SUBKIND -> event.value();
        default -> null;
      };
    }
    return value;
  }

  /** The cell's own exception with its causes when it threw one; JShell passes on only its message. */
  private Throwable failure(JShellException exception) {
    Throwable thrown = execution.takeFailure();
    if (thrown != null) {
      return thrown;
    }
    return exception instanceof EvalException e
        ? new RuntimeException(e.getExceptionClassName() + ": " + e.getMessage(), e)
        : exception;
  }

  private String compileErrors(Snippet snippet) {
    List<Diag> errors = shell.diagnostics(snippet).filter(Diag::isError).collect(Collectors.toList());
    if (errors.isEmpty() && snippet instanceof DeclarationSnippet declaration) {
      return "cannot define " + snippet.source().trim() + ": unresolved "
          + shell.unresolvedDependencies(declaration).collect(Collectors.joining(", "));
    }
    return errors.stream()
        .map(d -> d.getMessage(null) + "\n    " + line(snippet.source(), d.getStartPosition()))
        .collect(Collectors.joining("\n"));
  }

  private static String line(String source, long position) {
    int at = (int) Math.max(0, Math.min(position, source.length()));
    int start = source.lastIndexOf('\n', at - 1) + 1;
    int end = source.indexOf('\n', at);
    return source.substring(start, end < 0 ? source.length() : end).trim();
  }

  @Override
  public List<String> formatError(Throwable e) {
    if (e instanceof CompileError) {
      return errorStyler.secondaryLines(e.getMessage());
    }
    Throwable shown = e instanceof CellFailure ? e.getCause() : e;
    StringWriter trace = new StringWriter();
    shown.printStackTrace(new PrintWriter(trace));
    return errorStyler.secondaryLines(trace.toString());
  }

  @Override
  public DisplayData inspect(String code, int at, boolean extraDetail) {
    return null;
  }

  @Override
  public ReplacementOptions complete(String code, int at) {
    int[] anchor = new int[1];
    List<String> suggestions = analysis.completionSuggestions(code, at, anchor).stream()
        .map(SourceCodeAnalysis.Suggestion::continuation)
        .distinct()
        .collect(Collectors.toList());
    return new ReplacementOptions(suggestions, anchor[0], at);
  }

  @Override
  public String isComplete(String code) {
    SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(code);
    while (info.completeness().isComplete()) {
      info = analysis.analyzeCompletion(info.remaining());
    }
    return switch (info.completeness()) {
      case EMPTY -> IS_COMPLETE_YES;
      case UNKNOWN -> IS_COMPLETE_BAD;
      default -> "";
    };
  }

  @Override
  public void onShutdown(boolean isRestarting) {
    super.onShutdown(isRestarting);
    shell.close();
  }

  /** The cell does not compile. No stack trace: the kernel's frames would say nothing about the cell. */
  private static final class CompileError extends RuntimeException {
    CompileError(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * The cell threw the cause. Jupyter's error reply (what nbconvert prints) gets the cause chain as the
   * message and the frames from the throw up to the cell, not the kernel's.
   */
  private static final class CellFailure extends RuntimeException {
    CellFailure(Throwable cause) {
      super(chain(cause), cause);
      StackTraceElement[] frames = cause.getStackTrace();
      int cell = 0;
      while (cell < frames.length - 1 && !frames[cell].getClassName().startsWith("REPL.")) {
        cell++;
      }
      setStackTrace(Arrays.copyOf(frames, cell + 1));
    }

    private static String chain(Throwable cause) {
      StringBuilder chain = new StringBuilder(cause.toString());
      for (Throwable c = cause.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
        chain.append("; caused by ").append(c);
      }
      return chain.toString();
    }
  }

  /** Runs snippets in this JVM and keeps the exception a snippet threw, which JShell reduces to a message. */
  private static final class CellExecution extends DirectExecutionControl {
    private Throwable failure;

    @Override
    protected String invoke(Method doitMethod) throws Exception {
      failure = null;
      try {
        return super.invoke(doitMethod);
      } catch (InvocationTargetException e) {
        failure = e.getCause();
        throw e;
      }
    }

    Throwable takeFailure() {
      Throwable taken = failure;
      failure = null;
      return taken;
    }
  }
}
