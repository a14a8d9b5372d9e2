#!/usr/bin/env bash
# Reproduces the two "Speed" sections of docs/benchmarks.md (issue 6):
#   1. Java vs PyTorch, training examples/s per core (TrainingThroughputBenchmark, common)
#   2. the distributed trainer on 1 vs 2 workers (WorkerScalingBenchmark, job)
# Needs PyTorch for the first: Debian's python3-torch (and libopenblas0-pthread, without which Debian's
# torch multiplies matrices with the reference BLAS, 15-20x slower). Set LOGQ_PYTHON to pick an
# interpreter; without torch the first benchmark is skipped, not failed.
# MVN overrides the Maven command (default: offline, quiet).
set -euo pipefail
cd "$(dirname "$0")/.."
MVN=${MVN:-"mvn -B -q -o"}

echo "== machine"
lscpu | grep -E '^(Model name|CPU\(s\)|Thread|Core)' || true
java -version 2>&1 | head -1
uptime
python=${LOGQ_PYTHON:-}
for candidate in $python python3 /usr/bin/python3; do
  if "$candidate" -c 'import torch' 2>/dev/null; then
    echo "PyTorch: $("$candidate" -c 'import torch; print(torch.__version__)') via $candidate"
    break
  fi
done
update-alternatives --query libblas.so.3-x86_64-linux-gnu 2>/dev/null | grep '^Value' || true

echo "== 1/2 Java vs PyTorch per core (a few minutes)"
$MVN -Pbenchmarks -pl common test -Dtest=TrainingThroughputBenchmark
cat common/target/speed/java-vs-torch.md

echo "== 2/2 distributed trainer, 1 vs 2 workers (a few minutes)"
$MVN -Pbenchmarks -pl common,job -am test -Dtest=WorkerScalingBenchmark -Dsurefire.failIfNoSpecifiedTests=false
cat job/target/speed/workers.md

uptime
echo "Tables: common/target/speed/java-vs-torch.md, job/target/speed/workers.md"
echo "Full logs: common/target/surefire-reports/dev.logq.common.model.TrainingThroughputBenchmark-output.txt,"
echo "           job/target/surefire-reports/dev.logq.job.train.WorkerScalingBenchmark-output.txt"
