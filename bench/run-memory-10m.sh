#!/usr/bin/env bash
# The 10M-item catalog on one machine (issue 14 item 1; docs/benchmarks.md, "A 10M-item catalog on one
# machine"): generates 25M synthetic interactions of 1M users over 14M Zipf(0.5) items (about 10.1M of them
# occur), then trains the history tower (d = 32, Adam, 1 epoch, 2 workers x 4,096, collective), evaluates 2,000
# sampled test users over the full catalog and writes every embedding, in local mode, driver and executors in
# one JVM. Peak RSS and time per stage: metrics.json ("memory", "timings") and /usr/bin/time's report in the log.
# Needs about 22 GB of memory and 10 GB of disk; about 30 minutes on 2 cores.
#
#   bench/run-memory-10m.sh [WORKDIR] [key=value ...]     # WORKDIR default /tmp/logq-memory-10m
set -euo pipefail
cd "$(dirname "$0")/.."
work="${1:-/tmp/logq-memory-10m}"
shift || true
mkdir -p "$work"
if [[ ! -f "$work/data/_SUCCESS" ]]; then
  LOGQ_JAVA_OPTS=-Xmx16g ./spark-submit/run-local.sh --mode generate input.path="file://$work/data" \
    synthetic.users=1000000 synthetic.interactionsPerUser=25 synthetic.items=14000000 synthetic.zipfExponent=0.5
fi
# spark.memory.fraction: Spark's cache and shuffle pool would otherwise claim 60 % of a heap the model needs
# (README, "Memory"); with 0.15 Spark spills the cached splits to disk.
LOGQ_JAVA_OPTS="-Xmx20g -Dspark.memory.fraction=0.15" /usr/bin/time -v ./spark-submit/run-local.sh --overwrite \
  input.path="file://$work/data" input.format=parquet \
  model.userTower=history model.embeddingDim=32 model.outputDim=32 \
  train.epochs=1 train.batchSize=4096 train.syncBackend=collective split.testUsers=2000 \
  output.path="file://$work/out" "$@" 2>&1 | tee "$work/run.log"
