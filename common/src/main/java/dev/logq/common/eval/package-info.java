/**
 * Retrieval-evaluation math that needs no Spark: a bounded top-K with deterministic tie-breaking,
 * per-user ranking metrics (Recall, nDCG, HitRate, MRR) and their mergeable sums, item popularity
 * buckets, and distances between a planted and a learned P(item | user).
 *
 * <p>The Spark job ({@code dev.logq.job.eval}) distributes the work; everything here works on one
 * user or one block at a time and is {@link java.io.Serializable} where it crosses the network.
 */
package dev.logq.common.eval;
