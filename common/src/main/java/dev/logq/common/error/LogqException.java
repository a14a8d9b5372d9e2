package dev.logq.common.error;

import java.util.IdentityHashMap;
import java.util.Map;

/** A failure the user can fix, with the exit code it maps to. */
public abstract class LogqException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  protected LogqException(String message, Throwable cause) {
    super(message, cause);
  }

  public abstract ExitCode exitCode();

  /** The first LogqException on the cause chain of {@code failure} (itself included), or null. */
  public static LogqException find(Throwable failure) {
    Map<Throwable, Boolean> seen = new IdentityHashMap<>();
    for (Throwable t = failure; t != null && seen.put(t, Boolean.TRUE) == null; t = t.getCause()) {
      if (t instanceof LogqException) {
        return (LogqException) t;
      }
    }
    return null;
  }
}
