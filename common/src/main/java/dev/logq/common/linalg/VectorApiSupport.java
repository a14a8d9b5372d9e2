package dev.logq.common.linalg;

import java.util.Locale;
import java.util.function.BooleanSupplier;

/**
 * The one check of whether a JVM may take a Vector API path (linalg.Exp, linalg.FusedMatrices, optim.Adam): the
 * switch property is not {@code false}, the CPU is x86-64, the JVM has {@code jdk.incubator.vector} on its module
 * path, and the path's own CPU test passes. Each path has a scalar twin with the same bits, so this only decides
 * speed.
 */
public final class VectorApiSupport {

  private VectorApiSupport() {}

  /**
   * Why the path switched by {@code property} must run its scalar loop, or null when it may use the Vector API.
   * {@code cpuSupported} runs last, behind the module check, so the Vector API classes it touches load only when
   * the module is there: pass a lambda calling the path's class, not a method reference (linking one would load
   * that class up front).
   */
  public static String unavailableReason(String property, BooleanSupplier cpuSupported) {
    if ("false".equalsIgnoreCase(System.getProperty(property, "true"))) {
      return property + "=false";
    }
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    if (!arch.equals("amd64") && !arch.equals("x86_64")) {
      return "not x86-64: " + arch;
    }
    if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
      return "add --add-modules=jdk.incubator.vector to the JVM options for the vector path";
    }
    try {
      return cpuSupported.getAsBoolean() ? null : "the CPU has no 256-bit vectors";
    } catch (LinkageError | RuntimeException e) {
      return "the Vector API failed to load: " + e;
    }
  }
}
