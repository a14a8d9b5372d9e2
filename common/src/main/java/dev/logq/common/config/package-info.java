/**
 * The job's configuration: {@link dev.logq.common.config.JobConfig}, a typed and validated view of
 * reference.conf (every key and default) under a user file and command-line overrides, and
 * {@link dev.logq.common.config.CommandLine}, the parsed command line.
 */
package dev.logq.common.config;
