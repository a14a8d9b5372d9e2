package dev.logq.job.train.collective;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.common.model.TensorPatch;
import dev.logq.job.SparkTestSession;
import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import scala.runtime.AbstractFunction1;

/**
 * Smoke test on local[2]: one barrier stage of two tasks does the rendezvous with allGather, then several rounds
 * of the owner-sharded exchange directly between the tasks; the sums are exact on both.
 */
@Timeout(180)
class BarrierRendezvousTest {

  static final Map<String, Integer> TABLES = Map.of("item", 5000, "user", 3000);
  static final int ROUNDS = 20;
  private static SparkSession spark;

  @BeforeAll
  static void start() {
    spark = SparkTestSession.start("BarrierRendezvousTest", "local[2]");
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  /** One barrier task: join, ROUNDS rounds, return every round's patch (bytes) and the time per round. */
  static final class Task extends AbstractFunction1<scala.collection.Iterator<Integer>, scala.collection.Iterator<byte[]>>
      implements Serializable {
    private static final long serialVersionUID = 1L;
    private final String groupId;
    private final int failAfterRound; // rank 1 throws after this round (-1: never)

    Task(String groupId, int failAfterRound) {
      this.groupId = groupId;
      this.failAfterRound = failAfterRound;
    }

    @Override
    public scala.collection.Iterator<byte[]> apply(scala.collection.Iterator<Integer> partition) {
      BarrierTaskContext context = BarrierTaskContext.get();
      // Loopback only in tests; a real run passes BarrierRendezvous.executorHost().
      List<byte[]> out = new ArrayList<>();
      long t0 = System.nanoTime();
      try (PeerGroup group = BarrierRendezvous.join(context, groupId, "127.0.0.1",
          PeerGroup.Options.defaults().withReceiveTimeout(Duration.ofSeconds(30)))) {
        long t1 = System.nanoTime();
        ShardedExchange x = new ShardedExchange(new Collectives(group), new RowOwnership(group.size(), 5L, TABLES));
        try {
          for (int round = 0; round < ROUNDS; round++) {
            TensorPatch g = ShardedExchangeTest.gradient(100L * round + group.rank(), 300, 8, TABLES);
            out.add(Codec.patch(group.rank(), x.round(g, 10, owned -> owned.sum()).newValues()));
            if (round == failAfterRound && group.rank() == 1) {
              throw new IllegalStateException("injected failure of rank 1 after round " + round);
            }
          }
        } catch (RuntimeException e) {
          group.abort(e.toString()); // the peers fail naming this rank and the cause
          throw e;
        }
        long t2 = System.nanoTime();
        out.add(0, Codec.floats(new float[] {(t1 - t0) / 1e6f, (t2 - t1) / 1e6f / ROUNDS}));
      }
      return scala.collection.JavaConverters.asScalaIterator(out.iterator());
    }
  }

  @Test
  void rendezvousThenDirectRoundsBetweenTwoBarrierTasks() throws Exception {
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    JavaRDD<Integer> two = sc.parallelize(List.of(0, 1), 2);
    List<byte[]> results = new JavaRDD<>(two.rdd().barrier().mapPartitions(new Task("smoke-" + UUID.randomUUID(), -1),
        false, scala.reflect.ClassTag$.MODULE$.apply(byte[].class)),
        scala.reflect.ClassTag$.MODULE$.apply(byte[].class)).collect();
    assertEquals(2 * (ROUNDS + 1), results.size());
    for (int rank = 0; rank < 2; rank++) {
      float[] times = Codec.floats(results.get(rank * (ROUNDS + 1)));
      System.out.printf("BARRIER smoke: rank %d rendezvous %.1f ms, %.2f ms per round%n", rank, times[0], times[1]);
      for (int round = 0; round < ROUNDS; round++) {
        byte[] bytes = results.get(rank * (ROUNDS + 1) + 1 + round);
        assertEquals(rank, Codec.header(bytes), "results in partition order");
        TensorPatch expected = ShardedExchangeTest.directSum(List.of(
            ShardedExchangeTest.gradient(100L * round, 300, 8, TABLES),
            ShardedExchangeTest.gradient(100L * round + 1, 300, 8, TABLES)), new long[] {10, 10});
        assertTrue(expected.bitwiseEquals(Codec.patch(bytes)), "rank " + rank + ", round " + round);
      }
    }
  }

  @Test
  void aFailingTaskFailsTheBarrierStageQuickly() {
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    JavaRDD<Integer> two = sc.parallelize(List.of(0, 1), 2);
    long t0 = System.nanoTime();
    Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> new JavaRDD<>(
        two.rdd().barrier().mapPartitions(new Task("fail-" + UUID.randomUUID(), 3), false,
            scala.reflect.ClassTag$.MODULE$.apply(byte[].class)),
        scala.reflect.ClassTag$.MODULE$.apply(byte[].class)).collect());
    double seconds = (System.nanoTime() - t0) / 1e9;
    System.out.printf("BARRIER failure: stage failed after %.1f s: %s%n", seconds, e.getMessage().lines().findFirst()
        .orElse(""));
    assertTrue(seconds < 30, "the stage took " + seconds + " s to fail");
    // rank 0's receive timeout is 30 s: the stage must fail on the lost peer, well before it
    assertTrue(seconds < 15, "the stage took " + seconds + " s to fail");
  }
}
