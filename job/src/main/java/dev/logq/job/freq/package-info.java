/**
 * The item frequency table over the training split ({@link dev.logq.job.freq.FrequencyTableBuilder}):
 * Spark aggregates counts per item index; only the n-item count vector reaches the driver.
 */
package dev.logq.job.freq;
