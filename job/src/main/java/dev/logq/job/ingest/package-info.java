/**
 * Getting interactions into the normalised table of {@link dev.logq.common.data.Interactions}: reading
 * Parquet, CSV, TSV and Gowalla-style files from any Hadoop path with validation that names the file
 * and row of every bad record ({@link dev.logq.job.ingest.InteractionReader}), generating the synthetic
 * data set ({@link dev.logq.job.ingest.SyntheticData}), and mapping ids to dense indices
 * ({@link dev.logq.job.ingest.IdIndex}).
 *
 * <p>Data flow of a read: the executors parse and validate every record, marking bad ones with a reason
 * and their position (byte offset or Parquet row index); one aggregation counts good and bad records;
 * only on the failure path (or for a skip-mode sample) does the driver turn positions into line
 * numbers, by reading the file up to the offset. Nothing but counts and a few bad records cross the
 * network to the driver.
 */
package dev.logq.job.ingest;
