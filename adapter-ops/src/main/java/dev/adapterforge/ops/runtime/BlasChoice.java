package dev.adapterforge.ops.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The BLAS ND4J's CPU backend loads in this JVM, chosen for the CPU the JVM runs on, before ND4J's
 * first use: JavaCPP reads {@value #PROPERTY} once, when ND4J loads its BLAS binding.
 *
 * <p>The rule follows measurements on both vendors (docs/PERFORMANCE.md, "Choosing the BLAS"): Intel MKL
 * on Intel CPUs, where it ran an mBERT training step ~8% faster than OpenBLAS; ND4J's bundled
 * OpenBLAS everywhere else: on an AMD EPYC (Zen 4) MKL ran SGEMM at about half OpenBLAS's rate and
 * the same step 1.7x slower. A library the caller names with {@code -D}{@value #PROPERTY} is kept.
 * Either choice must also compute right: {@link #requireCorrectGemm} checks an SGEMM against a plain
 * product, since some OpenBLAS builds run wrong kernels on CPUs they do not know (why some machines
 * set {@code OPENBLAS_CORETYPE}, which is respected and logged).
 */
public final class BlasChoice {
  public static final String PROPERTY = "org.bytedeco.openblas.load";
  public static final String MKL = "mkl_rt";
  public static final String OPENBLAS = "openblas";

  private static final Logger LOG = LoggerFactory.getLogger(BlasChoice.class);
  private static final Path CPU_INFO = Path.of("/proc/cpuinfo");

  /** The library and why: the caller named it, or the rule for this CPU's vendor chose it. */
  public record Choice(String library, boolean namedByCaller, String vendor) {
    @Override
    public String toString() {
      return library + (namedByCaller ? " (named by -D" + PROPERTY + ")" : " (the rule for " + vendor + " CPUs)");
    }
  }

  private static Choice choice;
  private static boolean checked;

  private BlasChoice() {}

  /** Makes the choice for this JVM, once; it takes effect only if ND4J has not loaded yet. */
  public static synchronized Choice forThisCpu() {
    if (choice == null) {
      String vendor = cpuVendor();
      String named = System.getProperty(PROPERTY);
      if (named != null) {
        choice = new Choice(named, true, vendor);
      } else {
        choice = new Choice(ruleFor(vendor), false, vendor);
        System.setProperty(PROPERTY, choice.library());
      }
    }
    return choice;
  }

  /** MKL for Intel, OpenBLAS for every other vendor (and for CPUs that do not say). */
  public static String ruleFor(String vendor) {
    return "GenuineIntel".equals(vendor) ? MKL : OPENBLAS;
  }

  /**
   * The library the caller named before any rule ran, if any: what executors must load too, whatever
   * their CPU. Without one, every executor chooses for its own CPU.
   */
  public static synchronized Optional<String> namedByCaller() {
    if (choice == null) {
      return Optional.ofNullable(System.getProperty(PROPERTY));
    }
    return choice.namedByCaller() ? Optional.of(choice.library()) : Optional.empty();
  }

  /** The {@code vendor_id} of /proc/cpuinfo (GenuineIntel, AuthenticAMD), or {@code os.arch} where there is none. */
  public static String cpuVendor() {
    if (Files.isReadable(CPU_INFO)) {
      try (Stream<String> lines = Files.lines(CPU_INFO)) {
        Optional<String> vendor =
            lines.filter(line -> line.startsWith("vendor_id")).findFirst().map(line -> line.substring(line.indexOf(':') + 1).strip());
        if (vendor.isPresent()) {
          return vendor.get();
        }
      } catch (IOException | UncheckedIOException e) {
        LOG.debug("cannot read {}", CPU_INFO, e);
      }
    }
    return System.getProperty("os.arch");
  }

  /**
   * Checks, once per JVM, an SGEMM through ND4J's loaded BLAS against a plain product ({@link
   * Nd4jRuntime#probe}); loads ND4J if it has not yet.
   *
   * @throws IllegalStateException naming the library and {@code OPENBLAS_CORETYPE} if it computes wrong
   */
  public static synchronized void requireCorrectGemm() {
    if (checked) {
      return;
    }
    Nd4jRuntime runtime = Nd4jRuntime.probe();
    String coreType = System.getenv().getOrDefault("OPENBLAS_CORETYPE", "unset");
    if (!runtime.matmulCorrect()) {
      throw new IllegalStateException(String.format(
          "ND4J's BLAS %s (%s, OPENBLAS_CORETYPE %s) computes SGEMM wrong on this %s CPU: name another with"
              + " -D%s=%s|%s, or set OPENBLAS_CORETYPE to a core this CPU runs",
          runtime.blasVendor(), forThisCpu(), coreType, cpuVendor(), PROPERTY, MKL, OPENBLAS));
    }
    checked = true;
    LOG.info("ND4J's BLAS: {} ({}, OPENBLAS_CORETYPE {}), SGEMM checked against a plain product",
        runtime.blasVendor(), forThisCpu(), coreType);
  }
}
