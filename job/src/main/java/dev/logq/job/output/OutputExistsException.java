package dev.logq.job.output;

/**
 * The output path already holds something and overwriting was not asked for. Its exit code is the
 * project's "refused to clobber existing output" code.
 */
public final class OutputExistsException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** Process exit code for this failure. */
  public static final int EXIT_CODE = 4;

  private final String path;

  public OutputExistsException(String path, boolean complete) {
    super("output path " + path + " already exists"
        + (complete ? " and holds a complete earlier run (it has _SUCCESS)" : " (without _SUCCESS: an incomplete or foreign directory)")
        + "; choose another output.path (e.g. with {ds} or {runId} in it) or set output.overwrite=true (--overwrite) to replace it");
    this.path = path;
  }

  public String path() {
    return path;
  }

  public int exitCode() {
    return EXIT_CODE;
  }
}
