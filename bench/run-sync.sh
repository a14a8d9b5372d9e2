#!/usr/bin/env bash
# Issue 12, side by side in one run on the same data: the job end to end through Main with each sync backend
# (rounds, collective), then bench/torch_two_tower.py on one thread over the same interactions.
#   data:  the job's synthetic generator, 100k users x 50k Zipf(1) items, 4 interactions per user (400k),
#          written once as CSV; split.method=random with a tiny test share (0.1 %) so evaluation stays short
#   model: ID towers, d = 64, tau 0.05, refined loss, Adam lr 0.005; B = 1,024 per worker, 2 workers, EPOCHS epochs (2)
# Reports per backend every epoch's examples/s (the job's curve) and its round statistics (metrics.json ->
# training_refined.sync), the load average before and after each run, and PyTorch's examples/s.
# BACKENDS picks the backends (also collective-allgather: collective with -Dlogq.collectivePull=false, the
# all-gather of every changed row that the pull replaced); NEGATIVES the loss.negatives values to run with each (default local; "local global"
# measures global-batch negatives' cost per round beside per-worker ones, issue 14 item 3); TORCH=0 skips PyTorch; LOGQ_JOB_JAR the job's classes (a path list: put another build's common jar after
# it to run that build); LOGQ_PYTHON the interpreter
# with torch (Debian's python3-torch is /usr/bin/python3); EPOCHS the epochs per run (default 2: the rate
# reported before session 18 is epoch 2's, still warming up the JIT; 6 shows the steady state, the rate a long
# training job runs at, beside PyTorch's timed steps, which exclude its warm-up); PER_USER the interactions per
# user (default 4: 400k interactions, 201 rounds an epoch; 16 gives 1.6M and 782 rounds, epochs long enough that
# a segment's fixed start and checkpoint, ~0.1 s an epoch, weigh a quarter as much per round; its own data
# directory). Build first: mvn -B -q -o -DskipTests package.
set -euo pipefail
cd "$(dirname "$0")/.."
PER_USER=${PER_USER:-4}
WORK=${LOGQ_BENCH_DIR:-/tmp/logq-sync-bench}
[[ "$PER_USER" == 4 ]] || WORK="$WORK-$PER_USER-per-user"
BACKENDS=${BACKENDS:-"rounds collective"}
NEGATIVES=${NEGATIVES:-local}
PY=${LOGQ_PYTHON:-/usr/bin/python3}
OPENS="$(grep -v '^[[:space:]]*$' conf/java17.args | paste -sd' ' -)"
CP="${LOGQ_JOB_JAR:-job/target/logq-job.jar}:$(cat job/target/local-classpath.txt)"
JVM_EXTRA=""
main() { java $OPENS -Xmx6g $JVM_EXTRA -cp "$CP" dev.logq.job.Main "$@"; }
mkdir -p "$WORK"

echo "== machine"; nproc; java -version 2>&1 | head -1; uptime
if [[ ! -d "$WORK/data" ]]; then
  main mode=generate input.path="$WORK/data" synthetic.users=100000 synthetic.items=50000 \
    synthetic.interactionsPerUser=$PER_USER spark.master='local[2]' > "$WORK/generate.log" 2>&1
fi
if [[ ! -d "$WORK/csv" ]]; then # the same interactions as CSV, for the PyTorch side (no parquet reader there)
  cat > "$WORK/ToCsv.java" <<'JAVA'
public class ToCsv {
  public static void main(String[] a) {
    var spark = org.apache.spark.sql.SparkSession.builder().master("local[2]").getOrCreate();
    spark.read().parquet(a[0]).select("user_id", "item_id").coalesce(1).write().option("header", "true").csv(a[1]);
    spark.stop();
  }
}
JAVA
  java $OPENS -cp "$CP" "$WORK/ToCsv.java" "$WORK/data" "$WORK/csv" > "$WORK/csv.log" 2>&1
fi
COMMON=(input.path="$WORK/data" split.method=random split.testFraction=0.001
  split.validation=none model.userTower=id model.embeddingDim=64 model.outputDim=64 model.temperature=0.05
  loss.type=refined train.optimizer=adam train.learningRate=0.005 train.batchSize=1024 train.workers=2
  train.epochs=${EPOCHS:-2} eval.k=[10] output.report=false output.writeEmbeddings=false output.overwrite=true
  spark.master='local[2]')
for b in $BACKENDS; do
for neg in $NEGATIVES; do
  run=$b; [[ "$neg" == local ]] || run=$b-$neg
  echo "== $b, loss.negatives = $neg: load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  start=$(date +%s)
  backend=$b; JVM_EXTRA=""
  # collective-allgather: the collective backend with every changed row all-gathered (before the pull)
  if [[ "$b" == collective-allgather ]]; then backend=collective; JVM_EXTRA="-Dlogq.collectivePull=false"; fi
  main "${COMMON[@]}" train.syncBackend="$backend" loss.negatives="$neg" output.path="$WORK/out-$run" > "$WORK/$run.log" 2>&1
  echo "   wall $(( $(date +%s) - start )) s; load after: $(cut -d' ' -f1-3 /proc/loadavg)"
  "$PY" - "$WORK/out-$run/metrics.json" <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))["training_refined"]
for e in t["curve"]:
    print(f"   epoch {e['epoch']}: {e['examplesPerSecond']:.0f} examples/s, mean loss {e['meanLoss']:.5f}")
s = t["sync"]
share = (s["meanRoundMillis"] - s["meanWorkerComputeMillis"]) / s["meanRoundMillis"]
step = s.get("meanOptimizerStepMillis", 0.0)  # the optimizer step on the round's critical path (driver or owners)
print(f"   per round: wall {s['meanRoundMillis']:.2f} ms, gradient {s['meanWorkerComputeMillis']:.2f} ms, "
      f"optimizer step {step:.2f} ms, task/loop {s['meanWorkerTaskMillis']:.2f} ms, "
      f"driver update {s['meanDriverUpdateMillis']:.2f} ms, non-compute {100 * s.get('nonComputeShare', share):.1f} % "
      f"(outside the gradient {100 * share:.1f} %), patch {s['meanPatchKilobytes']:.0f} KiB, rounds {s['rounds']}")
for e in s.get("epochs", []):  # per epoch: the first carries the JIT's warm-up and the first segment's start
    print(f"   epoch {e['epoch']} rounds: wall {e['meanRoundMillis']:.2f} ms, gradient {e['meanWorkerComputeMillis']:.2f}"
          f" ms, optimizer step {e['meanOptimizerStepMillis']:.2f} ms, non-compute {100 * e['nonComputeShare']:.1f} %"
          f" (rounds alone: {e.get('meanLoopMillis', 0):.2f} ms, {100 * e.get('roundNonComputeShare', 0):.1f} %)")
if "meanWorkerSyncCpuMillis" in s:  # per worker, thread CPU: the gradient, and the synchronisation outside it
    print(f"   per worker: gradient CPU {s['meanWorkerComputeCpuMillis']:.2f} ms, sync CPU "
          f"{s['meanWorkerSyncCpuMillis']:.2f} ms, sent {s['meanWorkerSentKilobytes']:.0f} KiB per round")
EOF
  grep -h "Synchronisation" "$WORK/$run.log" | sed 's/^.*Synchronisation/   Synchronisation/' || true
done
done
[[ "${TORCH:-1}" == 1 ]] || exit 0
echo "== PyTorch, one thread, the same interactions: load before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$PY" bench/torch_two_tower.py --interactions "$WORK/csv" --threads 1 --warmup 20 --steps 300 --batch 1024
echo "   load after: $(cut -d' ' -f1-3 /proc/loadavg)"
