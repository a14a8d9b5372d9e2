package dev.logq.common.error;

/** Process exit codes of the job, documented in the README. */
public enum ExitCode {
  OK(0),
  /** Anything not caused by the configuration, the input or the output location. */
  RUNTIME_FAILURE(1),
  BAD_CONFIGURATION(2),
  BAD_INPUT_DATA(3),
  OUTPUT_EXISTS(4);

  private final int code;

  ExitCode(int code) {
    this.code = code;
  }

  public int code() {
    return code;
  }

  /**
   * The exit code for a failure: the first {@link LogqException} on the cause chain decides (Spark wraps
   * exceptions thrown in tasks), anything else is {@link #RUNTIME_FAILURE}.
   */
  public static ExitCode of(Throwable failure) {
    LogqException cause = LogqException.find(failure);
    return cause == null ? RUNTIME_FAILURE : cause.exitCode();
  }
}
