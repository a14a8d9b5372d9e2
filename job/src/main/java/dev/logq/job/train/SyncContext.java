package dev.logq.job.train;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/**
 * What every synchronisation backend of one training shares: the Spark context, the plan, the cached
 * shards, the broadcast log Q, the run id (which names the executor replicas), where checkpoints go and the
 * test hook for injected failures.
 */
record SyncContext(JavaSparkContext sc, TrainingPlan plan, JavaRDD<TrainingShard> shards, Broadcast<double[]> logQ,
                   String runId, String checkpointDir, Configuration hadoopConf, String failureInjection,
                   long maxPendingPatchBytes) {}
