/**
 * The item frequency table behind the logQ correction: counts c_i over the training split, their total
 * C, and log Q(i) = log(c_i / C) in double precision (../shared/LOSSES.md). Built by Spark in the job
 * module ({@code dev.logq.job.freq.FrequencyTableBuilder}), small enough to broadcast.
 */
package dev.logq.common.freq;
