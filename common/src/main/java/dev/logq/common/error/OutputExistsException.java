package dev.logq.common.error;

/** The output location already holds a run and overwriting was not allowed (output.overwrite / --overwrite). */
public final class OutputExistsException extends LogqException {
  private static final long serialVersionUID = 1L;

  private final String path;

  public OutputExistsException(String path, String message) {
    super(message, null);
    this.path = path;
  }

  public String path() {
    return path;
  }

  @Override
  public ExitCode exitCode() {
    return ExitCode.OUTPUT_EXISTS;
  }
}
