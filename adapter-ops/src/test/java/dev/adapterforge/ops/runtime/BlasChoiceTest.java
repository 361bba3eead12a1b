package dev.adapterforge.ops.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class BlasChoiceTest {
  @Test
  void mklOnIntelAndOpenBlasOnEveryOtherCpu() {
    assertEquals(BlasChoice.MKL, BlasChoice.ruleFor("GenuineIntel"));
    assertEquals(BlasChoice.OPENBLAS, BlasChoice.ruleFor("AuthenticAMD"));
    assertEquals(BlasChoice.OPENBLAS, BlasChoice.ruleFor("aarch64"));
  }

  /** The build names a BLAS for the tests' JVMs, as a caller may: it is kept, and it is what executors get. */
  @Test
  void aLibraryTheCallerNamedIsKeptAndPassedOn() {
    String named = System.getProperty(BlasChoice.PROPERTY);
    BlasChoice.Choice choice = BlasChoice.forThisCpu();
    assertEquals(named, choice.library());
    assertTrue(choice.namedByCaller());
    assertEquals(Optional.of(named), BlasChoice.namedByCaller());
    assertEquals(System.getProperty(BlasChoice.PROPERTY), named, "unchanged");
  }

  @Test
  void theLoadedBlasComputesAnSgemmRight() {
    BlasChoice.requireCorrectGemm();
  }

  @Test
  void thisMachineSaysWhoMadeItsCpu() {
    String vendor = BlasChoice.cpuVendor();
    assertTrue(vendor != null && !vendor.isBlank(), vendor);
  }
}
