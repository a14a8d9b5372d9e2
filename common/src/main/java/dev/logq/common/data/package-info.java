/**
 * Data definitions shared by the job and the model code, without Spark: the column names of the
 * normalised interaction table ({@link dev.logq.common.data.Interactions}) and the synthetic data model
 * with a known P(item | user) ({@link dev.logq.common.data.SyntheticModel}).
 */
package dev.logq.common.data;
