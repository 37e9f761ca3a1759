#!/usr/bin/env python3
"""PyTorch eager peer of Floe's B7 bench: training throughput of the demo's conv encoder + head.

The model is the one Floe's ConvEncoder builds (stem 3x3 conv + BatchNorm + ReLU, then residual
blocks that halve the resolution: conv1 3x3 stride 2, bn1, ReLU, conv2 3x3, bn2, plus a 1x1
stride-2 projection with its BatchNorm, sum, ReLU; global average pooling) and a linear head,
trained with cross-entropy and torch.optim.AdamW. Each epoch draws a random permutation and
gathers its batches from the whole data set, as Floe's trainer does; loss and accuracy are summed
on the device and read once per epoch.

The process stays alive so that the Java harness can interleave it with Floe's arms: it reads one
command per line on stdin and answers with one JSON line on stdout.
  epoch       -> trains one epoch over the data; answers {"seconds": s, "examples": n, "phases": {...}}
  quit        -> exits
The first line it prints describes the set-up (torch version, BLAS, data size).

Usage: conv_train.py FEATURES LABELS --channels 1 --height 28 --width 28 --widths 16,32,64
                     --classes 5 --batch 64 --threads 1 [--lr 1e-3] [--weight-decay 0.01] [--phases]

Thread pinning: Debian's torch multiplies through OpenBLAS, which ignores torch.set_num_threads;
the harness starts this script with OPENBLAS_NUM_THREADS and OMP_NUM_THREADS equal to --threads,
which also goes to torch.set_num_threads (one inter-op thread).
"""
import argparse
import json
import re
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.proj = nn.Conv2d(cin, cout, 1, stride=2, padding=0, bias=False)
        self.proj_bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))  # (B, out, H/2, W/2)
        h = self.bn2(self.conv2(h))
        skip = self.proj_bn(self.proj(x))  # (B, out, H/2, W/2)
        return F.relu(h + skip)


class Net(nn.Module):
    def __init__(self, channels, widths, classes):
        super().__init__()
        self.stem = nn.Conv2d(channels, widths[0], 3, stride=1, padding=1, bias=False)
        self.stem_bn = nn.BatchNorm2d(widths[0])
        self.blocks = nn.ModuleList(Block(widths[i - 1], widths[i]) for i in range(1, len(widths)))
        self.head = nn.Linear(widths[-1], classes)

    def forward(self, x):
        x = F.relu(self.stem_bn(self.stem(x)))  # (B, w0, H, W)
        for b in self.blocks:
            x = b(x)
        return self.head(x.flatten(2).mean(2))  # (B, classes)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("features")
    p.add_argument("labels")
    p.add_argument("--channels", type=int, default=1)
    p.add_argument("--height", type=int, default=28)
    p.add_argument("--width", type=int, default=28)
    p.add_argument("--widths", default="16,32,64")
    p.add_argument("--classes", type=int, required=True)
    p.add_argument("--batch", type=int, required=True)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--phases", action="store_true", help="synchronous per-phase timing (adds a little overhead)")
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(0)
    shape = (a.channels, a.height, a.width)
    x_all = torch.from_numpy(np.fromfile(a.features, dtype="<f4").reshape(-1, *shape))
    y_all = torch.from_numpy(np.fromfile(a.labels, dtype="<i8"))
    n = x_all.shape[0]
    batches = (n + a.batch - 1) // a.batch
    widths = [int(w) for w in a.widths.split(",")]
    model = Net(a.channels, widths, a.classes)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=a.weight_decay)

    def epoch():
        phases = {"data": 0.0, "forward": 0.0, "backward": 0.0, "optimizer": 0.0, "metrics": 0.0}
        clock = time.perf_counter
        start = clock()
        order = torch.randperm(n)
        loss_sum = torch.zeros(())
        correct = torch.zeros((), dtype=torch.int64)
        for b in range(batches):
            t0 = clock()
            idx = order[b * a.batch:(b + 1) * a.batch]
            x = x_all[idx]  # (B, C, H, W)
            y = y_all[idx]  # (B)
            t1 = clock()
            logits = model(x)  # (B, classes)
            loss = F.cross_entropy(logits, y)
            t2 = clock()
            opt.zero_grad(set_to_none=False)
            loss.backward()
            t3 = clock()
            opt.step()
            t4 = clock()
            with torch.no_grad():
                loss_sum += loss.detach() * y.shape[0]
                correct += (logits.argmax(1) == y).sum()
            t5 = clock()
            if a.phases:
                phases["data"] += t1 - t0
                phases["forward"] += t2 - t1
                phases["backward"] += t3 - t2
                phases["optimizer"] += t4 - t3
                phases["metrics"] += t5 - t4
        t6 = clock()
        mean_loss = loss_sum.item() / n
        accuracy = correct.item() / n
        phases["metrics"] += clock() - t6
        seconds = clock() - start
        out = {"seconds": seconds, "examples": n, "loss": mean_loss, "accuracy": accuracy}
        if a.phases:
            out["phases"] = phases
        return out

    config = torch.__config__.show()
    found = re.search(r"BLAS_INFO=([^,\s]+)", config)
    print(json.dumps({
        "torch_version": torch.__version__,
        "blas": found.group(1) if found else "unknown",
        "mkldnn": torch.backends.mkldnn.is_available(),
        "examples": n,
        "batches": batches,
        "parameters": sum(t.numel() for t in model.parameters()),
        "threads": torch.get_num_threads(),
    }), flush=True)
    for line in sys.stdin:
        cmd = line.split()
        if not cmd:
            continue
        if cmd[0] == "epoch":
            print(json.dumps(epoch()), flush=True)
        elif cmd[0] == "quit":
            break
        else:
            print(json.dumps({"error": "unknown command " + cmd[0]}), flush=True)


if __name__ == "__main__":
    main()
