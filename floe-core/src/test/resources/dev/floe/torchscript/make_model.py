#!/usr/bin/env python3
"""Writes the TorchScript test models for dev.floe.torchscript and the outputs torch computes.

Usage: python3 make_model.py [output folder]   (default: the folder of this script)

A small MLP, (B, 8) -> (B, 3), whose parameters are named
encoder.0.weight (16, 8), encoder.0.bias (16), encoder.2.weight (16, 16), encoder.2.bias (16),
head.weight (3, 16), head.bias (3). It is saved twice:
  mlp_scripted.pt  torch.jit.script
  mlp_traced.pt    torch.jit.trace
and mlp_expected.json holds a fixed input (4, 8) and the output of each saved module for it,
computed by loading the saved file back, in eval mode, as float32 values.
"""

import json
import os
import sys

import torch
from torch import nn

SEED = 1234
IN, HIDDEN, OUT, BATCH = 8, 16, 3, 4


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(IN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, HIDDEN), nn.ReLU())
        self.head = nn.Linear(HIDDEN, OUT)

    def forward(self, x):
        return self.head(self.encoder(x))  # (B, OUT)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(SEED)
    model = Mlp().eval()
    # a fixed input that does not depend on the random generator: values in [-1, 1]
    x = (torch.arange(BATCH * IN, dtype=torch.float32).reshape(BATCH, IN) * 0.37).sin()  # (B, IN)
    files = {
        "scripted": torch.jit.script(model),
        "traced": torch.jit.trace(model, x),
    }
    expected = {
        "torch_version": torch.__version__,
        "input_shape": [BATCH, IN],
        "input": x.flatten().tolist(),
        "output_shape": [BATCH, OUT],
        "parameters": {name: list(p.shape) for name, p in model.named_parameters()},
        "outputs": {},
    }
    for kind, module in files.items():
        path = os.path.join(out, "mlp_%s.pt" % kind)
        module.save(path)
        with torch.no_grad():
            y = torch.jit.load(path).eval()(x)  # (B, OUT)
        expected["outputs"][kind] = y.flatten().tolist()
    with open(os.path.join(out, "mlp_expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
