package dev.logq.job.train;

/**
 * The test hook of both synchronisation backends: "round:partition" makes the first attempt of that
 * worker's round fail (Spark, or the driver for a collective segment, must rerun it and get the same bits);
 * "round:partition:always" fails every attempt.
 */
final class FailureInjection {

  private FailureInjection() {}

  /** Throws when {@code spec} names this round and partition and the attempt is one it fails. */
  static void maybeFail(String spec, long round, int partition, boolean firstAttempt) {
    if (spec == null || spec.isEmpty()) {
      return;
    }
    String[] parts = spec.split(":");
    boolean always = parts.length > 2 && parts[2].equals("always");
    if (Long.parseLong(parts[0]) == round && Integer.parseInt(parts[1]) == partition && (always || firstAttempt)) {
      throw new IllegalStateException("Injected failure in round " + round + ", partition " + partition
          + (always ? " (every attempt)" : " (first attempt only)"));
    }
  }
}
