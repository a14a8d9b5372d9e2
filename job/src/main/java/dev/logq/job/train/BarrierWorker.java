package dev.logq.job.train;

import dev.logq.common.model.TensorPatch;
import dev.logq.common.model.TwoTowerModel;
import dev.logq.common.optim.Optimizer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.function.Supplier;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.broadcast.Broadcast;
import scala.collection.JavaConverters;
import scala.runtime.AbstractFunction1;

/**
 * The barrier-mode synchronisation backend: one Spark job runs a whole segment of rounds (up to the
 * next checkpoint), its N tasks started together. Each round every worker computes its contribution,
 * exchanges it with all others through {@link BarrierTaskContext#allGather} (a message through the
 * driver's barrier coordinator, no Spark job), sums the N contributions in partition order and applies
 * the same update ({@link Averaging}) to its own replica. The replicas therefore stay bit-identical
 * and the driver holds no model during training; worker 0 writes the checkpoint ending the segment.
 *
 * <p>Costs: per round one allGather in which every worker receives all N contributions (N^2 traffic
 * through the driver, fine for tens of workers); needs N free task slots at once; a failure restarts
 * the whole segment from its checkpoint (Spark retries barrier stages as a whole).
 */
final class BarrierWorker {

  private BarrierWorker() {}

  /** The closure of one segment. */
  record SegmentTask(TrainingPlan plan, String runId, int epoch, int firstRound, int endRound, long globalRound,
                     String baseCheckpoint, String checkpointDir, Broadcast<double[]> itemLogQ,
                     String failureInjection, int attempt) implements Serializable {}

  /** What each worker returns for a segment (a plain class: Kryo cannot ship records). */
  static final class SegmentResult implements Serializable {
    private static final long serialVersionUID = 1L;
    final int partition;
    final long version;
    final long examples;
    final double lossSum;
    final long computeNanos;
    final long exchangeNanos;
    final long patchBytes;
    final String checkpoint;

    SegmentResult(int partition, long version, long examples, double lossSum, long computeNanos, long exchangeNanos,
                  long patchBytes, String checkpoint) {
      this.partition = partition;
      this.version = version;
      this.examples = examples;
      this.lossSum = lossSum;
      this.computeNanos = computeNanos;
      this.exchangeNanos = exchangeNanos;
      this.patchBytes = patchBytes;
      this.checkpoint = checkpoint;
    }
  }

  /** The segment as the Scala function RDDBarrier.mapPartitions takes (there is no Java API for it). */
  static final class Segment extends AbstractFunction1<scala.collection.Iterator<TrainingShard>,
      scala.collection.Iterator<SegmentResult>> implements Serializable {
    private static final long serialVersionUID = 1L;
    private final SegmentTask task;

    Segment(SegmentTask task) {
      this.task = task;
    }

    @Override
    public scala.collection.Iterator<SegmentResult> apply(scala.collection.Iterator<TrainingShard> partition) {
      return JavaConverters.asScalaIterator(run(JavaConverters.asJavaIterator(partition), task));
    }
  }

  static Iterator<SegmentResult> run(Iterator<TrainingShard> partition, SegmentTask task) {
    TrainingShard shard = partition.next();
    BarrierTaskContext context = BarrierTaskContext.get();
    TrainingPlan plan = task.plan();
    TwoTowerModel model = new TwoTowerModel(plan.model());
    Optimizer optimizer = plan.optimizer();
    Supplier<Configuration> hadoopConf = Worker::executorHadoopConf;
    ReplicaSource base = new ReplicaSource(task.runId(), task.baseCheckpoint(), task.globalRound(), List.of());
    Replicas.Replica replica = Replicas.acquire(base, "barrier-" + shard.partition(), plan, model, optimizer, true,
        hadoopConf);
    Worker.Step step = new Worker.Step(shard, Worker.epochOrder(task.runId(), plan.seed(), task.epoch(), shard), plan,
        model, plan.loss(), optimizer, task.itemLogQ().value(),
        task.epoch());
    boolean localSteps = plan.syncEvery() > 1;
    long version = task.globalRound();
    long examples = 0;
    double lossSum = 0;
    long computeNanos = 0;
    long exchangeNanos = 0;
    long patchBytes = 0;
    synchronized (replica) {
      replica.dirty = true;
      for (int r = task.firstRound(); r < task.endRound(); r++) {
        // "first attempt" is the driver's first attempt of the segment (Spark does not retry barrier stages).
        FailureInjection.maybeFail(task.failureInjection(), version, shard.partition(), task.attempt() == 0);
        long t0 = System.nanoTime();
        RoundResult mine = localSteps
            ? step.localSteps(replica.params, replica.state, r, version)
            : step.gradient(replica.params, r);
        long t1 = System.nanoTime();
        String[] all = context.allGather(encode(mine));
        long t2 = System.nanoTime();
        List<Averaging.Contribution> contributions = new ArrayList<>(all.length);
        for (String message : all) { // allGather orders messages by partition id
          Averaging.Contribution c = decode(message);
          examples += c.examples();
          lossSum += lossOf(message);
          if (c.examples() > 0) {
            contributions.add(c);
          }
        }
        RoundPatch patch = Averaging.apply(contributions, replica.params, replica.state, optimizer, version + 1,
            localSteps);
        if (patch == null) {
          throw new IllegalStateException("round " + (r + 1) + " of epoch " + (task.epoch() + 1)
              + " had no examples on any worker");
        }
        version++;
        computeNanos += t1 - t0;
        exchangeNanos += t2 - t1;
        patchBytes += patch.sizeInBytes();
      }
      replica.version = version;
      replica.dirty = false;
    }
    String checkpoint = null;
    if (shard.partition() == 0) {
      checkpoint = Checkpoints.writeModel(task.checkpointDir(), version, replica.params, replica.state,
          hadoopConf.get());
    }
    return List.of(new SegmentResult(shard.partition(), version, examples, lossSum, computeNanos, exchangeNanos,
        patchBytes, checkpoint)).iterator();
  }

  /** Contribution as text (allGather carries strings): examples, loss sum, encoded patches. */
  private static String encode(RoundResult r) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      out.writeLong(r.examples);
      out.writeDouble(r.lossSum);
      if (r.examples > 0) {
        TensorPatch[] p = r.patches();
        out.write(Payloads.encode(p[0], p[1]));
      }
      out.flush();
      return Base64.getEncoder().encodeToString(bytes.toByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Averaging.Contribution decode(String message) {
    byte[] bytes = Base64.getDecoder().decode(message);
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      long examples = in.readLong();
      in.readDouble();
      if (examples == 0) {
        return new Averaging.Contribution(0, null, null);
      }
      TensorPatch[] p = Payloads.decode(in.readAllBytes());
      return new Averaging.Contribution(examples, p[0], p[1]);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static double lossOf(String message) {
    byte[] bytes = Base64.getDecoder().decode(message.substring(0, Math.min(message.length(), 24)));
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      in.readLong();
      return in.readDouble();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
