package dev.logq.common.error;

/** Invalid configuration or command line: the message names the key (or flag), the value and what is allowed. */
public final class ConfigException extends LogqException {
  private static final long serialVersionUID = 1L;

  private final String key;

  /**
   * @param key the offending key without the {@code logq.} prefix (e.g. {@code train.batchSize}), a
   *     command-line flag, or null when the problem is not tied to one key
   */
  public ConfigException(String key, String message) {
    this(key, message, null);
  }

  public ConfigException(String key, String message, Throwable cause) {
    super(message, cause);
    this.key = key;
  }

  /** The offending key or flag, or null. */
  public String key() {
    return key;
  }

  @Override
  public ExitCode exitCode() {
    return ExitCode.BAD_CONFIGURATION;
  }
}
