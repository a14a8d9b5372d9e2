package dev.logq.job.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.job.SparkTestSession;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

/** train.syncBackend = auto: collective where Spark can run it, rounds where it cannot; explicit names pass through. */
class SyncBackendChoiceTest {

  @Test
  void autoChoosesCollectiveOnlyWithEnoughSlotsAndNoDynamicAllocation() {
    assertEquals(DistributedTrainer.COLLECTIVE, SyncBackendChoice.choose("local[2]", false, 2, 2).backend());
    assertEquals(DistributedTrainer.COLLECTIVE, SyncBackendChoice.choose("spark://m:7077", false, 64, 16).backend());
    // Spark ignores dynamic allocation in local mode, so barrier jobs run there.
    assertEquals(DistributedTrainer.COLLECTIVE, SyncBackendChoice.choose("local[4]", true, 4, 2).backend());

    SyncBackendChoice.Choice fewSlots = SyncBackendChoice.choose("local[1]", false, 1, 2);
    assertEquals(DistributedTrainer.ROUNDS, fewSlots.backend());
    assertTrue(fewSlots.reason().contains("1 task slot for train.workers = 2"), fewSlots.reason());

    SyncBackendChoice.Choice dynamic = SyncBackendChoice.choose("yarn", true, 100, 2);
    assertEquals(DistributedTrainer.ROUNDS, dynamic.backend());
    assertTrue(dynamic.reason().contains("spark.dynamicAllocation.enabled"), dynamic.reason());
  }

  @Test
  void resolveReadsTheSlotsOfARealContextAndKeepsAnExplicitBackend() { // the shared test session: local[2]
    SparkSession spark = SparkTestSession.start("SyncBackendChoiceTest");
    assertEquals(2, SyncBackendChoice.taskSlots(spark.sparkContext()));
    assertEquals(DistributedTrainer.COLLECTIVE,
        SyncBackendChoice.resolve(spark.sparkContext(), SyncBackendChoice.AUTO, 2).backend());
    assertEquals(DistributedTrainer.ROUNDS,
        SyncBackendChoice.resolve(spark.sparkContext(), SyncBackendChoice.AUTO, 3).backend());
    assertEquals(DistributedTrainer.ROUNDS,
        SyncBackendChoice.resolve(spark.sparkContext(), DistributedTrainer.ROUNDS, 2).backend());
  }
}
