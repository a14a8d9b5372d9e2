#!/usr/bin/env bash
# When does refined logQ beat standard? A grid on the job's planted synthetic data (3,000 users x 1,500 items,
# 30 interactions each, planted temperature 0.25; ID towers, the job's defaults otherwise): catalog skew
# (synthetic.zipfExponent), batch per worker, temperature, 2 seeds, standard vs refined, each through Main; then
# the number K of extra negatives (loss.uniformNegatives: K uniform draws per local batch beside the in-batch
# ones, their proposal probability in the correction) at tau 0.05, the temperature where refined lost.
# Results: docs/benchmarks.md, "When does refined win?". Build first: mvn -B -q -o -DskipTests package.
#   bench/run-refined-study.sh [work dir, default /tmp/logq-refined-study]
#   KS="64 512" bench/run-refined-study.sh ...   # the K values of the second grid (default 64 512; "" skips it)
set -euo pipefail
cd "$(dirname "$0")/.."
W=${1:-/tmp/logq-refined-study}
OPENS="$(grep -v '^[[:space:]]*$' conf/java17.args | paste -sd' ' -)"
CP="job/target/logq-job.jar:$(cat job/target/local-classpath.txt)"
mkdir -p "$W"
run() {  # run <out dir> <key=value...>
  local out="$1"; shift
  [[ -f "$out/metrics.json" ]] && return 0
  java $OPENS -Xmx3g -cp "$CP" dev.logq.job.Main mode=train spark.master='local[2]' "$@" output.path="file://$out" \
    output.report=false > "$out.log" 2>&1 || { echo "failed: $out.log" >&2; exit 1; }
  echo "$out"
}
for z in 0.7 1.3; do for b in 32 512; do for t in 0.05 0.2; do for s in 1 2; do for l in standard refined; do
  run "$W/z$z-b$b-t$t-s$s-$l" synthetic.zipfExponent=$z train.batchSize=$b model.temperature=$t train.seed=$s \
    loss.type=$l
done; done; done; done; done
for k in ${KS-64 512}; do for z in 0.7 1.3; do for b in 32 512; do for s in 1 2; do for l in standard refined; do
  run "$W/z$z-b$b-t0.05-s$s-$l-k$k" synthetic.zipfExponent=$z train.batchSize=$b model.temperature=0.05 \
    train.seed=$s loss.type=$l loss.uniformNegatives=$k
done; done; done; done; done
python3 - "$W" <<'PY'
import json, glob, statistics as st, sys
res = {}
for d in glob.glob(sys.argv[1] + '/*/metrics.json'):
    parts = d.split('/')[-2].split('-')
    z, b, t, s, l = parts[:5]
    k = parts[5] if len(parts) > 5 else 'k0'
    m = json.load(open(d))['metrics'][l]
    res[(z, b, t, k, s, l)] = (m['recall@10'], m['ndcg@10'], m['rec_head_share@10'])
print('| Zipf | B per worker | tau | K uniform | standard R@10 | refined R@10 | refined - standard R@10 (seed 1, 2) '
      '| standard nDCG@10 | refined nDCG@10 | refined - standard nDCG@10 (seed 1, 2) | head share@10 std / ref |')
print('|---|---|---|---|---|---|---|---|---|---|---|')
for k in sorted({key[3] for key in res}, key=lambda x: int(x[1:])):
    for z in ['z0.7', 'z1.3']:
        for b in ['b32', 'b512']:
            for t in ['t0.05', 't0.2']:
                if (z, b, t, k, 's1', 'standard') not in res:
                    continue
                S = [res[(z, b, t, k, s, 'standard')] for s in ['s1', 's2']]
                R = [res[(z, b, t, k, s, 'refined')] for s in ['s1', 's2']]
                f = lambda xs, i: st.mean(x[i] for x in xs)
                dr = ', '.join('%+.4f' % (r[0] - s[0]) for r, s in zip(R, S))
                dn = ', '.join('%+.4f' % (r[1] - s[1]) for r, s in zip(R, S))
                print(f'| {z[1:]} | {b[1:]} | {t[1:]} | {k[1:]} | {f(S, 0):.4f} | {f(R, 0):.4f} | {dr} | {f(S, 1):.4f} '
                      f'| {f(R, 1):.4f} | {dn} | {f(S, 2):.2f} / {f(R, 2):.2f} |')
PY
