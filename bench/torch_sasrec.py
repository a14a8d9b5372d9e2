#!/usr/bin/env python3
"""Issue 11's PyTorch peer for the sequence encoder's kernel diagnosis (SequenceEncoderBenchmark).

Same shapes as the Java benchmark: B = 128 sequences of L = 200 items (all valid), d = 64, 2 pre-LayerNorm
blocks of 1-head causal self-attention and a ReLU FFN with hidden 64, dropout 0.2, item embedding * sqrt(d) plus
a learned positional embedding, a final LayerNorm; then an in-batch softmax over the batch's distinct targets
(each distinct target once, its negative term counted by its multiplicity, the row's other copies of its own
target masked), tau 0.1. One thread. Prints time per forward+backward step and positions/s per core.

nn.TransformerEncoderLayer also drops out attention weights and the FFN hidden layer (the Java encoder drops
only the residual branches and the embedding), so PyTorch does slightly more work per step.

Run: /usr/bin/python3 bench/torch_sasrec.py [L B]   (Debian python3-torch, libopenblas0-pthread; default 200 128)
     /usr/bin/python3 bench/torch_sasrec.py L B --windows ratings.tsv
The second form trains on the job's own kind of windows instead of full synthetic ones: a TSV with a header and
user_id, movie_id, timestamp columns (ML-1M's ratings_pos4.tsv as bench/run-quality.sh extracts it); each user's
items in time order, the last one held out (leave-last-out), windows of L ending at the last training item and
every L items before it, left-padded; B windows per batch in a seeded shuffled order. The loss covers only the
valid positions (an input item and its next item), and the rate counts only them, as the job's examples/s does;
the encoder still runs over all L positions, as a padded PyTorch SASRec does.
"""
import math
import sys
import time

import torch
import torch.nn as nn

L, D, B, BLOCKS, HIDDEN, ITEMS, TAU = 200, 64, 128, 2, 64, 3706, 0.1
WINDOWS = None
if len(sys.argv) >= 3:
    L, B = int(sys.argv[1]), int(sys.argv[2])
if len(sys.argv) == 5 and sys.argv[3] == "--windows":
    WINDOWS = sys.argv[4]
WARMUP, RUNS = 2, 4

torch.set_num_threads(1)
torch.manual_seed(1)


class SasRec(nn.Module):
    def __init__(self):
        super().__init__()
        self.items = nn.Embedding(ITEMS + 1, D)  # the last row pads windows shorter than L
        self.pos = nn.Embedding(L, D)
        self.drop = nn.Dropout(0.2)
        layer = nn.TransformerEncoderLayer(d_model=D, nhead=1, dim_feedforward=HIDDEN, dropout=0.2,
                                           activation="relu", batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, BLOCKS, enable_nested_tensor=False)
        self.final = nn.LayerNorm(D)
        self.register_buffer("causal", torch.triu(torch.full((L, L), float("-inf")), diagonal=1))

    def forward(self, seq):
        x = self.items(seq) * math.sqrt(D) + self.pos.weight[None, :, :]
        x = self.drop(x)
        x = self.blocks(x, mask=self.causal)
        return self.final(x)


def in_batch_loss(model, h, distinct, inverse, log_counts):
    """Softmax over the batch's distinct targets, each counted by its multiplicity (logQ of the batch)."""
    logits = (h / TAU) @ model.items(distinct).T + log_counts[None, :]
    # The row's own column counts once; its other copies are accidental hits.
    logits[torch.arange(len(inverse)), inverse] -= log_counts[inverse]
    return nn.functional.cross_entropy(logits, inverse)


def zipf_items(n, gen):
    u = torch.rand(n, generator=gen, dtype=torch.float64)
    return torch.clamp(torch.floor(torch.exp(u * math.log(ITEMS + 1.0)) - 1), max=ITEMS - 1).long()


def main():
    gen = torch.Generator().manual_seed(1)
    all_items = zipf_items(B * (L + 1), gen).view(B, L + 1)
    seq, targets = all_items[:, :L].contiguous(), all_items[:, 1:].contiguous()
    model = SasRec()
    distinct, inverse, counts = torch.unique(targets.reshape(-1), return_inverse=True, return_counts=True)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, L {L}, B {B}, distinct targets "
          f"{len(distinct)} of {B * L} rows")
    log_counts = counts.float().log()
    for with_loss in (False, True):
        times, walls = [], []
        for run in range(WARMUP + RUNS):
            model.zero_grad(set_to_none=True)
            t0, w0 = time.process_time(), time.perf_counter()
            h = model(seq).reshape(B * L, D)
            if with_loss:
                loss = in_batch_loss(model, h, distinct, inverse, log_counts)
            else:
                loss = h.sum() * 1e-3
            loss.backward()
            t1, w1 = time.process_time(), time.perf_counter()
            if run >= WARMUP:
                times.append(t1 - t0)
                walls.append(w1 - w0)
        step = sum(times) / len(times)
        print(f"torch    {'encoder+softmax' if with_loss else 'encoder only':16s} step cpu {step * 1e3:8.1f} ms, "
              f"wall {sum(walls) / len(walls) * 1e3:8.1f} ms, {B * L / step:.0f} positions/s per core")


def job_windows(path):
    """The job's training windows of ML-1M: (input items, target items) per window, padded with ITEMS."""
    import csv
    import collections
    by_user = collections.defaultdict(list)
    ids = {}
    with open(path) as f:
        for row in csv.DictReader(f, delimiter="\t"):
            item = ids.setdefault(row["movie_id"], len(ids))
            by_user[row["user_id"]].append((int(row["timestamp"]), item))
    windows = []
    for events in by_user.values():
        items = [i for _, i in sorted(events)][:-1]  # leave-last-out: the last one is the test item
        end = len(items)  # a window's targets are items[end - L, end), its inputs the items before each
        while end >= 2:
            first = max(end - L, 1)  # the first target with an input item before it
            inp = [items[j - 1] if j >= first else ITEMS for j in range(end - L, end)]
            tgt = [items[j] if j >= first else ITEMS for j in range(end - L, end)]
            windows.append((inp, tgt))
            end -= L
    assert len(ids) <= ITEMS, len(ids)
    return windows


def main_windows():
    windows = job_windows(WINDOWS)
    gen = torch.Generator().manual_seed(1)
    order = torch.randperm(len(windows), generator=gen).tolist()
    model = SasRec()
    runs = 8
    valid_total, cpu_total, wall_total = 0, 0.0, 0.0
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, L {L}, B {B}, {len(windows)} job windows")
    for run in range(WARMUP + runs):
        batch = [windows[i] for i in order[run * B:(run + 1) * B]]
        seq = torch.tensor([w[0] for w in batch])
        targets = torch.tensor([w[1] for w in batch]).reshape(-1)
        valid = targets != ITEMS
        model.zero_grad(set_to_none=True)
        t0, w0 = time.process_time(), time.perf_counter()
        h = model(seq).reshape(-1, D)[valid]
        t = targets[valid]
        distinct, inverse, counts = torch.unique(t, return_inverse=True, return_counts=True)
        in_batch_loss(model, h, distinct, inverse, counts.float().log()).backward()
        t1, w1 = time.process_time(), time.perf_counter()
        if run >= WARMUP:
            valid_total += int(valid.sum())
            cpu_total += t1 - t0
            wall_total += w1 - w0
    print(f"torch    job windows      step cpu {cpu_total / runs * 1e3:8.1f} ms, wall {wall_total / runs * 1e3:8.1f} ms, "
          f"{valid_total / runs:.0f} valid positions per batch, {valid_total / cpu_total:.0f} valid positions/s per core")


if __name__ == "__main__":
    main_windows() if WINDOWS else main()
