/**
 * Everything a run leaves behind, written atomically on any Hadoop filesystem.
 *
 * <p>{@link dev.logq.job.output.AtomicOutput} stages all files in a hidden sibling directory of the
 * output path and commits by rename, writing the {@code _SUCCESS} marker last; a failed run leaves
 * neither the output directory nor the marker. {@link dev.logq.job.output.OutputPaths} resolves the
 * run-scoped {@code {ds}} / {@code {runId}} placeholders. The writers put embeddings (Parquet, with the
 * original ids), and metrics.json (metrics plus provenance) into a staging directory. Nothing here
 * imports {@code report}: the report writers use this package, not the other way round. {@link dev.logq.job.output.CompletedOutput} tells a rerun whether an existing
 * output (or a set of checkpoints) was written with its configuration (output.skipIfComplete, --resume).
 */
package dev.logq.job.output;
