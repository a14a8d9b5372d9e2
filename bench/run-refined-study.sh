#!/usr/bin/env bash
# When does refined logQ beat standard? A grid on the job's planted synthetic data (3,000 users x 1,500 items,
# 30 interactions each, planted temperature 0.25; ID towers, the job's defaults otherwise): catalog skew
# (synthetic.zipfExponent), batch per worker, temperature, 2 seeds, standard vs refined, each through Main.
# Results: docs/benchmarks.md, "When does refined win?". Build first: mvn -B -q -o -DskipTests package.
#   bench/run-refined-study.sh [work dir, default /tmp/logq-refined-study]
set -euo pipefail
cd "$(dirname "$0")/.."
W=${1:-/tmp/logq-refined-study}
OPENS="$(grep -v '^[[:space:]]*$' conf/java17.args | paste -sd' ' -)"
CP="job/target/logq-job.jar:$(cat job/target/local-classpath.txt)"
mkdir -p "$W"
for z in 0.7 1.3; do for b in 32 512; do for t in 0.05 0.2; do for s in 1 2; do for l in standard refined; do
  out="$W/z$z-b$b-t$t-s$s-$l"
  [[ -f "$out/metrics.json" ]] && continue
  java $OPENS -Xmx3g -cp "$CP" dev.logq.job.Main mode=train spark.master='local[2]' synthetic.zipfExponent=$z \
    train.batchSize=$b model.temperature=$t train.seed=$s loss.type=$l output.path="file://$out" \
    output.report=false > "$out.log" 2>&1 || { echo "failed: $out.log" >&2; exit 1; }
  echo "$out"
done; done; done; done; done
python3 - "$W" <<'PY'
import json, glob, statistics as st, sys
res = {}
for d in glob.glob(sys.argv[1] + '/*/metrics.json'):
    z, b, t, s, l = d.split('/')[-2].split('-')
    m = json.load(open(d))['metrics'][l]
    res[(z, b, t, s, l)] = (m['recall@10'], m['ndcg@10'], m['rec_head_share@10'])
print('| Zipf | B per worker | tau | standard R@10 | refined R@10 | refined - standard R@10 (seed 1, 2) '
      '| standard nDCG@10 | refined nDCG@10 | refined - standard nDCG@10 (seed 1, 2) | head share@10 std / ref |')
print('|---|---|---|---|---|---|---|---|---|---|')
for z in ['z0.7', 'z1.3']:
    for b in ['b32', 'b512']:
        for t in ['t0.05', 't0.2']:
            S = [res[(z, b, t, s, 'standard')] for s in ['s1', 's2']]
            R = [res[(z, b, t, s, 'refined')] for s in ['s1', 's2']]
            f = lambda xs, i: st.mean(x[i] for x in xs)
            dr = ', '.join('%+.4f' % (r[0] - s[0]) for r, s in zip(R, S))
            dn = ', '.join('%+.4f' % (r[1] - s[1]) for r, s in zip(R, S))
            print(f'| {z[1:]} | {b[1:]} | {t[1:]} | {f(S, 0):.4f} | {f(R, 0):.4f} | {dr} | {f(S, 1):.4f} '
                  f'| {f(R, 1):.4f} | {dn} | {f(S, 2):.2f} / {f(R, 2):.2f} |')
PY
