package dev.logq.job.train;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.spark.SparkException;
import org.junit.jupiter.api.Test;

/** Which failed segments are rerun: not those of a job someone cancelled. */
class SegmentJobsTest {

  @Test
  void aCancelledJobIsRecognisedThroughItsCauses() {
    assertTrue(SegmentJobs.cancelled(new SparkException("Job 134 cancelled part of cancelled job group logq-train")));
    assertTrue(SegmentJobs.cancelled(new IllegalStateException("segment failed",
        new SparkException("Job 7 cancelled because SparkContext was shut down"))));
    assertFalse(SegmentJobs.cancelled(new SparkException("Job aborted due to stage failure: Task 1 in stage 3.0"
        + " failed 1 times, most recent failure: ... PeerFailureException: rank 1 gave up")));
    assertFalse(SegmentJobs.cancelled(new RuntimeException((String) null)));
  }
}
