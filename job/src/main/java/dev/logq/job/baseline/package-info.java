/**
 * Baselines a Spark user already has, trained on the pipeline's indexed training split and turned
 * into embeddings in the format {@link dev.logq.job.eval.FullCatalogEvaluator} reads, so they are
 * evaluated exactly like the two-tower models. {@link dev.logq.job.baseline.AlsBaseline}: Spark
 * MLlib ALS for implicit feedback.
 */
package dev.logq.job.baseline;
