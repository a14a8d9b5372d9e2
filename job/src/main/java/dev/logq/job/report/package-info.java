/**
 * The human-readable side of a run: PNG charts drawn with XChart (loss curve per epoch, Recall@K
 * and nDCG@K per loss, recall by popularity bucket), a self-contained report.html that shows them
 * with the metrics, and the plain-text comparison table of the {@code compare} mode, and the training curve as CSV and JSON
 * ({@link dev.logq.job.report.TrainingCurveWriter}). It writes through {@code output}'s atomic output. Inputs are
 * plain records ({@link dev.logq.job.report.RunSummary}, {@link dev.logq.job.report.CurvePoint}),
 * never Spark objects; rendering is headless.
 */
package dev.logq.job.report;
