/**
 * From valid interactions to train and test sets: the min-count filter ({@link dev.logq.job.split.MinCountFilter}),
 * the split methods and the treatment of users and items that only occur in test
 * ({@link dev.logq.job.split.Splitter}).
 */
package dev.logq.job.split;
