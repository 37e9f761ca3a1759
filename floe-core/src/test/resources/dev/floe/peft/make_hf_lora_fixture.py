#!/usr/bin/env python3
"""Writes hf-minilm-lora/, a LoRA adapter folder laid out as Hugging Face PEFT saves one
(PeftModel.save_pretrained with safe_serialization) for sentence-transformers/all-MiniLM-L6-v2.

Standard library only (no torch, no safetensors package): the layout comes from PEFT's documented
names, not from running PEFT.
  adapter_config.json        peft_type LORA, r, lora_alpha, target_modules, base_model_name_or_path, ...
  adapter_model.safetensors  base_model.model.encoder.layer.<i>.attention.self.<query|value>.lora_A.weight [r, 384]
                             base_model.model.encoder.layer.<i>.attention.self.<query|value>.lora_B.weight [384, r]
PEFT's update on each layer is (lora_alpha / r) * B @ A. The values are a fixed formula, so
rerunning the script gives the same bytes:
  A[k, j] = 0.05 * sin(0.37 * (k * 384 + j) + layer + 0.5 * module)
  B[o, k] = 0.05 * cos(0.23 * (o * r + k) + layer - 0.5 * module)
with module 0 for query and 1 for value. Run from this folder: python3 make_hf_lora_fixture.py
"""
import json
import math
import os
import struct

R = 2
ALPHA = 6
HIDDEN = 384
LAYERS = 6
MODULES = ["query", "value"]
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hf-minilm-lora")


def factor_a(layer, module):
    return [0.05 * math.sin(0.37 * i + layer + 0.5 * module) for i in range(R * HIDDEN)]


def factor_b(layer, module):
    return [0.05 * math.cos(0.23 * i + layer - 0.5 * module) for i in range(HIDDEN * R)]


def write_safetensors(path, tensors, metadata):
    """tensors: name -> (shape, list of floats), stored F32 little-endian in sorted name order."""
    header = {"__metadata__": metadata}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        shape, values = tensors[name]
        blob = struct.pack("<%df" % len(values), *values)
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def main():
    os.makedirs(OUT, exist_ok=True)
    tensors = {}
    for layer in range(LAYERS):
        for m, module in enumerate(MODULES):
            key = "base_model.model.encoder.layer.%d.attention.self.%s" % (layer, module)
            tensors[key + ".lora_A.weight"] = ([R, HIDDEN], factor_a(layer, m))
            tensors[key + ".lora_B.weight"] = ([HIDDEN, R], factor_b(layer, m))
    write_safetensors(os.path.join(OUT, "adapter_model.safetensors"), tensors, {"format": "pt"})
    config = {
        "alpha_pattern": {},
        "auto_mapping": None,
        "base_model_name_or_path": "sentence-transformers/all-MiniLM-L6-v2",
        "bias": "none",
        "fan_in_fan_out": False,
        "inference_mode": True,
        "init_lora_weights": True,
        "layers_pattern": None,
        "layers_to_transform": None,
        "lora_alpha": ALPHA,
        "lora_dropout": 0.1,
        "modules_to_save": None,
        "peft_type": "LORA",
        "r": R,
        "rank_pattern": {},
        "revision": None,
        "target_modules": ["query", "value"],
        "task_type": "FEATURE_EXTRACTION",
        "use_dora": False,
        "use_rslora": False,
    }
    with open(os.path.join(OUT, "adapter_config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
