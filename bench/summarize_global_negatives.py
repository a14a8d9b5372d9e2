#!/usr/bin/env python3
"""Summary of bench/run-global-negatives.sh: per (tower, negatives, loss) the mean over seeds with a 95 % Student-t
interval, the paired (same seed) difference global - local, and the per-round cost from each run's metrics.json.

    python3 bench/summarize_global_negatives.py target/global-negatives/runs
"""
import json
import math
import os
import sys
from collections import defaultdict

T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571}
METRICS = ["recall@10", "ndcg@10", "recall@20", "ndcg@20", "recall@10/head", "recall@10/torso", "recall@10/tail"]


def interval(xs):
    n = len(xs)
    mean = sum(xs) / n
    if n < 2:
        return mean, float("nan")
    sd = math.sqrt(sum((x - mean) ** 2 for x in xs) / (n - 1))
    return mean, T975[n - 1] * sd / math.sqrt(n)


def main(runs):
    table = defaultdict(dict)  # (tower, negatives, loss) -> seed -> record
    for tag_dir in sorted(os.listdir(runs)):
        parts = tag_dir.split("-")  # <dataset>-test-<tower>-<negatives>, e.g. ml-1m-test-id-local
        if len(parts) < 4 or parts[-1] not in ("local", "global"):
            continue
        dataset, tower, negatives = "-".join(parts[:-3]), parts[-2], parts[-1]
        for run in sorted(os.listdir(os.path.join(runs, tag_dir))):
            path = os.path.join(runs, tag_dir, run, "metrics.json")
            if not os.path.isfile(path):
                continue
            loss, seed = run.rsplit("-seed", 1)
            m = json.load(open(path))
            rec = dict(m["metrics"][loss])
            t = m.get("training_" + loss, {})
            rec["train_s"] = t.get("seconds", float("nan"))
            s = t.get("sync", {})
            rec["round_ms"] = s.get("meanRoundMillis", float("nan"))
            rec["compute_ms"] = s.get("meanWorkerComputeMillis", float("nan"))
            curve = t.get("curve", [])
            rec["eps"] = curve[-1]["examplesPerSecond"] if curve else float("nan")
            table[(dataset, tower, negatives, loss)][int(seed)] = rec

    print("| data | tower | negatives | loss | seeds | Recall@10 [95 % t] | nDCG@10 [95 % t] | Recall@20 | nDCG@20 "
          "| head / torso / tail R@10 | round ms | gradient ms | last-epoch ex/s | train s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for key in sorted(table):
        seeds = table[key]
        col = lambda k: [seeds[s][k] for s in sorted(seeds)]
        r10, r10h = interval(col("recall@10"))
        n10, n10h = interval(col("ndcg@10"))
        mean = lambda k: sum(col(k)) / len(seeds)
        print(f"| {key[0]} | {key[1]} | {key[2]} | {key[3]} | {','.join(map(str, sorted(seeds)))} | {r10:.4f} +- {r10h:.4f} "
              f"| {n10:.4f} +- {n10h:.4f} | {mean('recall@20'):.4f} | {mean('ndcg@20'):.4f} "
              f"| {mean('recall@10/head'):.3f} / {mean('recall@10/torso'):.3f} / {mean('recall@10/tail'):.3f} "
              f"| {mean('round_ms'):.1f} | {mean('compute_ms'):.1f} | {mean('eps'):.0f} | {mean('train_s'):.0f} |")
    print()
    print("Paired differences (same seed), mean [95 % t]:")
    print()
    print("| data | tower | loss | comparison | dRecall@10 | dnDCG@10 | dtail R@10 |")
    print("|---|---|---|---|---|---|---|")
    pairs = []
    for dataset in sorted({k[0] for k in table}):
        for tower in ("id", "history"):
            for loss in ("standard", "refined"):
                pairs.append((dataset, tower, loss, "global - local", (dataset, tower, "global", loss),
                              (dataset, tower, "local", loss)))
            for negatives in ("local", "global"):
                pairs.append((dataset, tower, "-", f"refined - standard ({negatives})",
                              (dataset, tower, negatives, "refined"), (dataset, tower, negatives, "standard")))
    for dataset, tower, loss, name, a, b in pairs:
        if a not in table or b not in table:
            continue
        common = sorted(set(table[a]) & set(table[b]))
        if not common:
            continue
        cells = []
        for k in ("recall@10", "ndcg@10", "recall@10/tail"):
            m, h = interval([table[a][s][k] - table[b][s][k] for s in common])
            cells.append(f"{m:+.4f} [{m - h:+.4f}, {m + h:+.4f}]")
        print(f"| {dataset} | {tower} | {loss} | {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "target/global-negatives/runs")
