#!/usr/bin/env python3
"""PyTorch eager peer of Floe's B6 bench: times optimizer steps of an MLP.

Reads the same data the Java harness trains on (raw little-endian float32 features and int64
labels), builds inputs -> hidden -> hidden -> classes with ReLU, trains with AdamW on one thread,
and prints one JSON object: median seconds per step over the timed trials.

Usage: mlp_step.py FEATURES LABELS --inputs 784 --hidden 256 --classes 10 --batch 64
                   --steps 40 --warmup 2 --trials 9 [--lr 1e-3] [--weight-decay 0.01] [--serve]

With --serve it prints one JSON line describing the set-up, then for every line "trial" read on
standard input runs one timed trial and prints {"seconds_per_step": ..., "steps": n, "phases": {...}},
until "quit" or the end of input: the harness interleaves these trials with its own arms. "phases"
gives the trial's seconds in data (slicing the batch), forward (model and loss), backward, optimizer
(AdamW's step and zeroing the gradients) and metrics (none are read back here).

Threads are pinned to one before torch loads: Debian's torch multiplies through OpenBLAS, which
ignores torch.set_num_threads and takes every core unless OPENBLAS_NUM_THREADS=1.
"""
import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import json
import re
import statistics
import sys
import time

import numpy as np
import torch


def loaded_blas():
    """The BLAS shared libraries this process has mapped: a 'generic' torch multiplies through
    whatever libblas.so.3 points to, OpenBLAS or the much slower reference BLAS."""
    torch.ones(2, 2) @ torch.ones(2, 2)
    try:
        with open("/proc/self/maps") as maps:
            libs = sorted({line.split()[-1].rsplit("/", 1)[-1] for line in maps
                           if "blas" in line.lower() and "/" in line})
    except OSError:
        return "loaded library unknown"
    return ", ".join(libs) if libs else "no BLAS library mapped"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("features")
    p.add_argument("labels")
    p.add_argument("--inputs", type=int, required=True)
    p.add_argument("--hidden", type=int, required=True)
    p.add_argument("--classes", type=int, required=True)
    p.add_argument("--batch", type=int, required=True)
    p.add_argument("--steps", type=int, required=True, help="steps per timed trial")
    p.add_argument("--warmup", type=int, default=1, help="untimed trials first")
    p.add_argument("--trials", type=int, default=5)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--serve", action="store_true", help="run trials on request from standard input")
    a = p.parse_args()

    torch.set_num_threads(1)
    torch.manual_seed(0)
    x_all = torch.from_numpy(np.fromfile(a.features, dtype="<f4").reshape(-1, a.inputs))
    y_all = torch.from_numpy(np.fromfile(a.labels, dtype="<i8"))
    n_batches = x_all.shape[0] // a.batch
    if n_batches < 1:
        raise SystemExit(f"need at least {a.batch} examples, found {x_all.shape[0]}")

    model = torch.nn.Sequential(
        torch.nn.Linear(a.inputs, a.hidden), torch.nn.ReLU(),
        torch.nn.Linear(a.hidden, a.hidden), torch.nn.ReLU(),
        torch.nn.Linear(a.hidden, a.classes))
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=a.weight_decay)
    loss_fn = torch.nn.CrossEntropyLoss()

    phases = {}

    def trial():
        for k in ("data", "forward", "backward", "optimizer", "metrics"):
            phases[k] = 0.0
        clock = time.perf_counter
        start = clock()
        for s in range(a.steps):
            t0 = clock()
            b = s % n_batches
            x = x_all[b * a.batch:(b + 1) * a.batch]  # (B, inputs)
            y = y_all[b * a.batch:(b + 1) * a.batch]  # (B)
            t1 = clock()
            loss = loss_fn(model(x), y)
            t2 = clock()
            loss.backward()
            t3 = clock()
            opt.step()
            opt.zero_grad(set_to_none=False)  # after the step, as Floe's optimizer phase zeroes them
            t4 = clock()
            phases["data"] += t1 - t0
            phases["forward"] += t2 - t1
            phases["backward"] += t3 - t2
            phases["optimizer"] += t4 - t3
        return (clock() - start) / a.steps

    config = torch.__config__.show()
    found = re.search(r"BLAS_INFO=([^,\s]+)", config)
    blas = found.group(1) if found else "unknown"
    blas = blas + " (" + loaded_blas() + ")"
    if a.serve:
        print(json.dumps({"torch_version": torch.__version__, "blas": blas, "threads": torch.get_num_threads(),
                          "openblas_threads": os.environ["OPENBLAS_NUM_THREADS"]}), flush=True)
        for line in sys.stdin:
            if line.strip() == "quit":
                break
            seconds = trial()
            print(json.dumps({"seconds_per_step": seconds, "steps": a.steps, "phases": phases}), flush=True)
        return
    for _ in range(a.warmup):
        trial()
    times = [trial() for _ in range(a.trials)]
    print(json.dumps({
        "torch_version": torch.__version__,
        "blas": blas,
        "threads": torch.get_num_threads(),
        "seconds_per_step": statistics.median(times),
        "trial_seconds_per_step": times,
    }))


if __name__ == "__main__":
    main()
