/**
 * Distributed full-catalog evaluation of a two-tower model: every test user is scored against every
 * item with blocked matrix products on the executors, the per-user top K is merged with a reduce, and
 * Recall@K, nDCG@K, HitRate@K, MRR, popularity-bucket recall and the popularity of the
 * recommendations are aggregated as sums (see {@link dev.logq.job.eval.FullCatalogEvaluator} for the
 * data flow). {@link dev.logq.job.eval.PlantedDistance} measures, on synthetic data, how far the
 * learned P(item | user) is from the planted one. The per-user math lives in
 * {@code dev.logq.common.eval}.
 */
package dev.logq.job.eval;
