#!/usr/bin/env python3
"""PyTorch CPU twin of logq-spark's training step, for the speed comparison of docs/benchmarks.md.

The same model and loss as dev.logq.common.model.TwoTowerModel with dev.logq.common.loss.RefinedLogQ and
dev.logq.common.optim.Adam (../shared/LOSSES.md, "refined"):

  user tower  u_b = L2(E_user[user_b]),  item tower v_j = L2(E_item[item_j])   (ID towers, no MLP)
  scores      s = (u / tau) v^T  over the batch's positives (in-batch negatives), float32
  mask        column j of row b is an accidental hit when item_j == item_b (the diagonal included)
  z_bj        s_bj - log Q(item_j) + log(1 - Q(item_b))                 for unmasked j
  P^_b        e^{s_bb} / (e^{s_bb} + (1/k_b) sum_j e^{z_bj}),  w_b = stopgrad(1 - P^_b)
  l_b         w_b * (-s_bb + logsumexp_j z_bj);  loss = mean_b l_b;  a row with k_b = 0 contributes 0
  optimizer   Adam; with --embedding sparse (the default) nn.Embedding(sparse=True) + torch.optim.SparseAdam,
              which is lazy like ours (only rows with a gradient move, bias correction by the global step);
              with --embedding dense nn.Embedding(sparse=False) + torch.optim.Adam, which updates every row
              of both tables on every step (not lazy).

Inputs come from files the Java benchmark writes (big-endian, see TrainingThroughputBenchmark.java), so both
sides train on the same batches:

  --data FILE    time --steps training steps after --warmup steps; prints "examples_per_second=<x>"
  --check FILE   load the Java model's initial tables and batch, take the same Adam steps, and compare the
                 loss of every step (relative 1e-5) and the final tables with the values Java wrote;
                 exit 0 when they match, 1 otherwise
  --synthetic    time steps on batches generated here (users uniform, items Zipf(1)), no Java needed
  --interactions DIR_OR_CSV  time steps on the job's own data: CSV files with a header and user_id,item_id
                 columns (what the job's mode=generate writes with input.format=csv), shuffled with a fixed
                 seed and cut into batches of --batch; log Q from the item counts (the job's training data
                 is this minus the held-out test interaction per user: the same distribution and shapes)

Threads: torch.set_num_threads(--threads); OpenBLAS/OpenMP pools are pinned to the same count through the
environment before torch is imported (torch does not pass its setting on to a system OpenBLAS).
"""

import argparse
import os
import struct
import sys
import time


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--data", help="benchmark batches written by the Java side")
    mode.add_argument("--check", help="small fixed case with Java's expected losses and parameters")
    mode.add_argument("--synthetic", action="store_true", help="generate batches here")
    mode.add_argument("--interactions", help="CSV file or directory of CSV parts (user_id,item_id) to batch")
    p.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (and BLAS/OpenMP pools)")
    p.add_argument("--warmup", type=int, default=20, help="untimed steps first")
    p.add_argument("--steps", type=int, default=60, help="timed steps")
    p.add_argument("--embedding", choices=["sparse", "dense"], default="sparse",
                   help="sparse: nn.Embedding(sparse=True) + SparseAdam; dense: sparse=False + Adam")
    p.add_argument("--users", type=int, default=20000, help="--synthetic only")
    p.add_argument("--items", type=int, default=10000, help="--synthetic only")
    p.add_argument("--batch", type=int, default=1024, help="--synthetic only")
    p.add_argument("--dim", type=int, default=64, help="--synthetic only")
    return p.parse_args(argv)


ARGS = parse_args(sys.argv[1:])
# Before torch loads libblas/libgomp: their pools read these once.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(ARGS.threads)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

MAGIC = b"LOGQBEN1"


class Case:
    """What a file from the Java side holds (see TrainingThroughputBenchmark.writeCase)."""

    def __init__(self, path):
        with open(path, "rb") as f:
            raw = f.read()
        if raw[:8] != MAGIC:
            raise SystemExit(f"{path}: not a logq benchmark file (magic {raw[:8]!r}, expected {MAGIC!r})")
        off = 8
        (self.num_users, self.num_items, self.dim, self.batch, self.num_batches, self.check_steps,
         has_tables) = struct.unpack_from(">7i", raw, off)
        off += 7 * 4
        self.tau, self.lr, self.beta1, self.beta2, self.eps, self.init_std = struct.unpack_from(">6d", raw, off)
        off += 6 * 8

        def take(dtype, count):
            nonlocal off
            a = np.frombuffer(raw, dtype=dtype, count=count, offset=off)
            off += a.nbytes
            return a.astype(a.dtype.newbyteorder("="))

        self.log_q = take(">f8", self.num_items)
        n = self.num_batches * self.batch
        self.users = take(">i4", n).astype(np.int64).reshape(self.num_batches, self.batch)
        self.items = take(">i4", n).astype(np.int64).reshape(self.num_batches, self.batch)
        self.user_table = self.item_table = None
        if has_tables:
            self.user_table = take(">f4", self.num_users * self.dim).reshape(self.num_users, self.dim)
            self.item_table = take(">f4", self.num_items * self.dim).reshape(self.num_items, self.dim)
            self.expected_losses = take(">f8", self.check_steps)
            self.expected_user_table = take(">f4", self.num_users * self.dim).reshape(self.num_users, self.dim)
            self.expected_item_table = take(">f4", self.num_items * self.dim).reshape(self.num_items, self.dim)
        if off != len(raw):
            raise SystemExit(f"{path}: {len(raw) - off} unread bytes at the end (format mismatch)")


class TwoTower(torch.nn.Module):
    def __init__(self, num_users, num_items, dim, tau, sparse, init_std, user_table=None, item_table=None):
        super().__init__()
        self.user = torch.nn.Embedding(num_users, dim, sparse=sparse)
        self.item = torch.nn.Embedding(num_items, dim, sparse=sparse)
        with torch.no_grad():
            if user_table is None:
                self.user.weight.normal_(0.0, init_std)
                self.item.weight.normal_(0.0, init_std)
            else:
                self.user.weight.copy_(torch.from_numpy(user_table))
                self.item.weight.copy_(torch.from_numpy(item_table))
        self.inverse_tau = 1.0 / tau

    def forward(self, users, items, log_q_items, log_one_minus_q_items):
        # L2 as TwoTowerModel: x / max(||x||, 1e-6); 1/tau folded into the user side.
        u = F.normalize(self.user(users), dim=1, eps=1e-6) * self.inverse_tau
        v = F.normalize(self.item(items), dim=1, eps=1e-6)
        s = u @ v.t()
        return refined_logq(s, items, log_q_items, log_one_minus_q_items)


def refined_logq(s, items, log_q_items, log_one_minus_q_items):
    """LOSSES.md "refined" over in-batch negatives; s is B x B with row b's positive in column b."""
    hit = items.unsqueeze(1) == items.unsqueeze(0)  # accidental hits and the diagonal
    k = hit.size(1) - hit.sum(1)
    sp = s.diagonal()
    z = (s - log_q_items.unsqueeze(0)).masked_fill(hit, float("-inf"))
    empty = k == 0
    if bool(empty.any()):  # rows without negatives: no -inf log-sum-exp, contribute 0
        z = z.masked_fill(empty.unsqueeze(1), 0.0)
    lse = torch.logsumexp(z, dim=1) + log_one_minus_q_items
    t = sp - lse + torch.log(k.clamp(min=1).to(s.dtype))
    w = torch.sigmoid(-t).detach()
    per_row = w * (lse - sp)
    if bool(empty.any()):
        per_row = per_row.masked_fill(empty, 0.0)
    return per_row.mean()


def log_q_tensors(log_q):
    """log Q and log(1 - Q) per item, computed in double as LOSSES.md asks, used in float32."""
    lq = torch.from_numpy(np.asarray(log_q, dtype=np.float64))
    l1mq = torch.log(-torch.expm1(lq))
    return lq.to(torch.float32), l1mq.to(torch.float32)


def make_optimizer(model, sparse, lr, beta1, beta2, eps):
    if sparse:
        return torch.optim.SparseAdam(list(model.parameters()), lr=lr, betas=(beta1, beta2), eps=eps)
    return torch.optim.Adam(model.parameters(), lr=lr, betas=(beta1, beta2), eps=eps)


def train_step(model, opt, users, items, lq, l1mq):
    opt.zero_grad(set_to_none=True)
    # Gathering log Q for the batch's items is part of the step, as in the Java loss.
    loss = model(users, items, lq[items], l1mq[items])
    loss.backward()
    opt.step()
    return loss


def synthetic_case(a):
    g = torch.Generator().manual_seed(7)
    pop = 1.0 / torch.arange(1, a.items + 1, dtype=torch.float64)
    pop /= pop.sum()
    n = a.warmup + a.steps

    class Synthetic:
        pass

    c = Synthetic()
    c.num_users, c.num_items, c.dim, c.batch, c.num_batches = a.users, a.items, a.dim, a.batch, n
    c.tau, c.lr, c.beta1, c.beta2, c.eps, c.init_std = 0.05, 0.005, 0.9, 0.999, 1e-8, 0.1
    c.log_q = pop.log().numpy()
    c.users = torch.randint(0, a.users, (n, a.batch), generator=g).numpy()
    c.items = torch.multinomial(pop, n * a.batch, replacement=True, generator=g).view(n, a.batch).numpy()
    return c


def interactions_case(a):
    import glob
    path = a.interactions
    files = sorted(set(glob.glob(os.path.join(path, "*.csv")) + glob.glob(os.path.join(path, "part-*")))) \
        if os.path.isdir(path) else [path]
    pairs = []
    for f in files:
        with open(f) as fh:
            header = fh.readline().strip().split(",")
            if not header or header == [""]:
                continue
            data = np.loadtxt(fh, delimiter=",", dtype=np.int64, ndmin=2)
            if data.size:
                pairs.append(data[:, [header.index("user_id"), header.index("item_id")]])
    if not pairs:
        raise SystemExit(f"{path}: no interactions")
    pairs = np.concatenate(pairs)
    rng = np.random.default_rng(7)
    pairs = pairs[rng.permutation(len(pairs))]

    class Interactions:
        pass

    c = Interactions()
    c.num_users, c.num_items = int(pairs[:, 0].max()) + 1, int(pairs[:, 1].max()) + 1
    c.dim, c.batch = a.dim, a.batch
    c.num_batches = len(pairs) // a.batch
    c.tau, c.lr, c.beta1, c.beta2, c.eps, c.init_std = 0.05, 0.005, 0.9, 0.999, 1e-8, 0.1
    counts = np.bincount(pairs[:, 1], minlength=c.num_items).astype(np.float64)
    c.log_q = np.log(np.maximum(counts, 0.5) / counts.sum())
    used = pairs[: c.num_batches * a.batch]
    c.users = used[:, 0].reshape(c.num_batches, a.batch)
    c.items = used[:, 1].reshape(c.num_batches, a.batch)
    print(f"interactions={len(pairs)} files={len(files)} batches={c.num_batches}")
    return c


def benchmark(case, a):
    torch.manual_seed(1)
    sparse = a.embedding == "sparse"
    model = TwoTower(case.num_users, case.num_items, case.dim, case.tau, sparse, case.init_std)
    opt = make_optimizer(model, sparse, case.lr, case.beta1, case.beta2, case.eps)
    lq, l1mq = log_q_tensors(case.log_q)
    batches = [(torch.from_numpy(np.ascontiguousarray(case.users[i])),
                torch.from_numpy(np.ascontiguousarray(case.items[i]))) for i in range(case.num_batches)]
    for i in range(a.warmup):
        u, it = batches[i % len(batches)]
        train_step(model, opt, u, it, lq, l1mq)
    start = time.perf_counter()
    cpu_start = time.process_time()  # every thread of the process: torch's, OpenMP's and OpenBLAS's
    loss = None
    for i in range(a.steps):
        u, it = batches[(a.warmup + i) % len(batches)]
        loss = train_step(model, opt, u, it, lq, l1mq)
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    final = float(loss)
    examples = a.steps * case.batch
    print(f"torch={torch.__version__} threads={torch.get_num_threads()} embedding={a.embedding} "
          f"blas={blas_library()} batch={case.batch} dim={case.dim} users={case.num_users} "
          f"items={case.num_items} steps={a.steps} seconds={seconds:.4f} cpu_seconds={cpu_seconds:.4f} "
          f"last_loss={final:.6f}")
    print(f"ms_per_step={1000.0 * seconds / a.steps:.3f} cpu_ms_per_step={1000.0 * cpu_seconds / a.steps:.3f}")
    print(f"examples_per_second={examples / seconds:.1f}")
    print(f"examples_per_cpu_second={examples / cpu_seconds:.1f}")


def check(case, a):
    """Same initial tables, batch and Adam steps as the Java side; compare losses and final tables."""
    sparse = a.embedding == "sparse"
    model = TwoTower(case.num_users, case.num_items, case.dim, case.tau, sparse, case.init_std,
                     case.user_table, case.item_table)
    opt = make_optimizer(model, sparse, case.lr, case.beta1, case.beta2, case.eps)
    lq, l1mq = log_q_tensors(case.log_q)
    ok = True
    worst_loss = 0.0
    for step in range(case.check_steps):
        b = step % case.num_batches
        users = torch.from_numpy(np.ascontiguousarray(case.users[b]))
        items = torch.from_numpy(np.ascontiguousarray(case.items[b]))
        loss = float(train_step(model, opt, users, items, lq, l1mq))
        expected = float(case.expected_losses[step])
        rel = abs(loss - expected) / max(abs(expected), 1e-12)
        worst_loss = max(worst_loss, rel)
        print(f"step {step + 1}: torch loss {loss:.9f}  java loss {expected:.9f}  relative difference {rel:.2e}")
        if not rel <= 1e-5:
            ok = False
    with torch.no_grad():
        du = np.abs(model.user.weight.numpy() - case.expected_user_table).max()
        di = np.abs(model.item.weight.numpy() - case.expected_item_table).max()
    # dense (torch.optim.Adam, the same update formula as ours): float32 rounding through a few steps only.
    # sparse: SparseAdam adds epsilon to sqrt(v) before the bias correction, ours after, so its effective
    # epsilon is 1e-8 / sqrt(1 - beta2^t) (3e-7 at step 1); an entry whose gradient is that small (~1e-6, a
    # well-classified row with w_b near 0) then moves up to ~10% of lr less. The gradients are the same
    # autograd graph in both modes, so the dense check is the tight one.
    table_tolerance = 2e-5 if a.embedding == "dense" else 0.2 * case.lr
    print(f"largest parameter difference after {case.check_steps} Adam steps: user table {du:.2e}, "
          f"item table {di:.2e} (tolerance {table_tolerance:.0e})")
    if not (du <= table_tolerance and di <= table_tolerance):
        ok = False
    print(f"check_max_relative_loss_difference={worst_loss:.3e}")
    print("check=" + ("PASSED" if ok else "FAILED"))
    return 0 if ok else 1


def blas_library():
    """The BLAS that torch's matrix products call (Debian's torch links the system libblas.so.3)."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "libblas" in line or "libopenblas" in line}
        return ",".join(sorted(paths)) or "none-loaded"
    except OSError:
        return "unknown"


def main():
    torch.set_num_threads(ARGS.threads)
    if ARGS.check:
        return check(Case(ARGS.check), ARGS)
    if ARGS.interactions:
        benchmark(interactions_case(ARGS), ARGS)
    else:
        benchmark(synthetic_case(ARGS) if ARGS.synthetic else Case(ARGS.data), ARGS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
