#!/usr/bin/env python3
"""PyTorch eager reference for Floe's B9 (memory of freezing): peak resident set of two AdamW
training steps of a MiniLM-sized BERT encoder (hidden 384, 6 layers, 12 heads, FFN 1536, vocabulary
30,522, post-norm, GELU, dropout 0.1) with mean pooling and a 2-class linear head, at sequence 128.

Arms (one per process, as B9 runs one JVM per arm):
  full    every parameter trains
  lora    the encoder is frozen; LoRA r=8, alpha 16 on the attention query and value projections
          and the head train
  frozen  only the head trains

Weights are random (memory does not depend on their values). Prints one line:
  ARM batch B: trainable N, RSS after build X MiB, peak Y MiB, growth Z MiB

Usage: memory_peer.py full|lora|frozen [BATCH]    (Debian's /usr/bin/python3 with python3-torch)
"""
import os
import sys

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import resource  # noqa: E402

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

SEQ, HIDDEN, FFN, LAYERS, HEADS, VOCAB = 128, 384, 1536, 6, 12, 30522


class LoraLinear(nn.Module):
    """base(x) + (alpha / r) * x A^T B^T, with base frozen."""

    def __init__(self, base, rank=8, alpha=16):
        super().__init__()
        self.base = base
        self.a = nn.Parameter(torch.randn(rank, base.in_features) * 0.01)
        self.b = nn.Parameter(torch.zeros(base.out_features, rank))
        self.scale = alpha / rank

    def forward(self, x):
        return self.base(x) + (x @ self.a.t() @ self.b.t()) * self.scale


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.query, self.key, self.value = (nn.Linear(HIDDEN, HIDDEN) for _ in range(3))
        self.attention_out = nn.Linear(HIDDEN, HIDDEN)
        self.norm1 = nn.LayerNorm(HIDDEN)
        self.intermediate = nn.Linear(HIDDEN, FFN)
        self.output = nn.Linear(FFN, HIDDEN)
        self.norm2 = nn.LayerNorm(HIDDEN)
        self.dropout = nn.Dropout(0.1)

    def forward(self, x, bias):
        b, t, _ = x.shape

        def heads(y):  # (B, T, H) -> (B, nh, T, dh)
            return y.view(b, t, HEADS, HIDDEN // HEADS).transpose(1, 2)

        q, k, v = heads(self.query(x)), heads(self.key(x)), heads(self.value(x))
        probs = torch.softmax(q @ k.transpose(-1, -2) / (HIDDEN // HEADS) ** 0.5 + bias, -1)  # (B, nh, T, T)
        ctx = (self.dropout(probs) @ v).transpose(1, 2).reshape(b, t, HIDDEN)
        h = self.norm1(x + self.dropout(self.attention_out(ctx)))
        return self.norm2(h + self.dropout(self.output(F.gelu(self.intermediate(h)))))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.words = nn.Embedding(VOCAB, HIDDEN)
        self.positions = nn.Embedding(512, HIDDEN)
        self.types = nn.Embedding(2, HIDDEN)
        self.norm = nn.LayerNorm(HIDDEN)
        self.layers = nn.ModuleList(Layer() for _ in range(LAYERS))
        self.head = nn.Linear(HIDDEN, 2)

    def forward(self, ids, mask):
        x = self.norm(self.words(ids) + self.positions(torch.arange(ids.shape[1])) + self.types(torch.zeros_like(ids)))
        bias = ((1 - mask.float()) * -1e4)[:, None, None, :]  # (B, 1, 1, T)
        for layer in self.layers:
            x = layer(x, bias)
        m = mask.float().unsqueeze(-1)
        return self.head((x * m).sum(1) / m.sum(1))  # (B, 2)


def main():
    arm = sys.argv[1] if len(sys.argv) > 1 else ""
    if arm not in ("full", "lora", "frozen"):
        raise SystemExit("usage: memory_peer.py full|lora|frozen [BATCH]")
    batch = int(sys.argv[2]) if len(sys.argv) > 2 else 16
    torch.set_num_threads(1)
    torch.manual_seed(0)
    net = Net()
    if arm != "full":
        for p in net.parameters():
            p.requires_grad_(False)
        if arm == "lora":
            for layer in net.layers:
                layer.query, layer.value = LoraLinear(layer.query), LoraLinear(layer.value)
        for p in net.head.parameters():
            p.requires_grad_(True)
    trainable = [p for p in net.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(trainable, lr=1e-4)
    built = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ids = torch.randint(1000, 20000, (batch, SEQ))
    mask = torch.ones(batch, SEQ, dtype=torch.long)
    labels = torch.randint(0, 2, (batch,))
    for _ in range(2):
        loss = F.cross_entropy(net(ids, mask), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{arm} batch {batch}: trainable {sum(p.numel() for p in trainable)}, RSS after build {built:.0f} MiB,"
          f" peak {peak:.0f} MiB, growth {peak - built:.0f} MiB")


if __name__ == "__main__":
    main()
