/**
 * The exceptions a user can cause, each mapped to a process exit code ({@link dev.logq.common.error.ExitCode}):
 * bad configuration (2), bad input data (3), an output that exists and may not be overwritten (4).
 * Anything else is a runtime failure (1). Messages name the key, file, row or value at fault.
 */
package dev.logq.common.error;
