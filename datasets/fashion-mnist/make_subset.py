#!/usr/bin/env python3
"""Write the Fashion-MNIST subset bundled with Floe.

Reads the gzipped IDX files of the full data set and writes the first TRAIN_COUNT training
examples and the first TEST_COUNT test (t10k) examples as gzipped IDX files in the same format.
The gzip header carries mtime=0 and no file name, so the output is byte-reproducible for a
given zlib. Prints the per-class counts of each split. Standard library only.

Usage: make_subset.py [SOURCE_DIR [OUT_DIR]]
  SOURCE_DIR  default /tmp/fm/usr/share/datasets/fashion-mnist
              (from: apt-get download dataset-fashion-mnist; dpkg-deb -x <deb> /tmp/fm)
  OUT_DIR     default: the directory of this script
"""
import gzip
import os
import struct
import sys

TRAIN_COUNT = 12000
TEST_COUNT = 3000
NUM_CLASSES = 10
IMAGES_MAGIC = 0x00000803  # ubyte, 3 dimensions
LABELS_MAGIC = 0x00000801  # ubyte, 1 dimension

# (input prefix, output prefix, examples to keep)
SPLITS = [("train", "train", TRAIN_COUNT), ("t10k", "test", TEST_COUNT)]


def read_idx(path, expected_magic):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    if magic != expected_magic:
        sys.exit(f"{path}: expected magic 0x{expected_magic:08x} but found 0x{magic:08x}")
    ndims = magic & 0xFF
    dims = struct.unpack(f">{ndims}I", data[4:4 + 4 * ndims])
    return dims, data[4 + 4 * ndims:]


def write_idx(path, magic, dims, body):
    header = struct.pack(f">I{len(dims)}I", magic, *dims)
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as f:
            f.write(header)
            f.write(body)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    source = sys.argv[1] if len(sys.argv) > 1 else "/tmp/fm/usr/share/datasets/fashion-mnist"
    out = sys.argv[2] if len(sys.argv) > 2 else here
    for prefix, out_prefix, count in SPLITS:
        (n, rows, cols), pixels = read_idx(os.path.join(source, f"{prefix}-images-idx3-ubyte.gz"), IMAGES_MAGIC)
        (n_labels,), labels = read_idx(os.path.join(source, f"{prefix}-labels-idx1-ubyte.gz"), LABELS_MAGIC)
        if n != n_labels or count > n:
            sys.exit(f"{prefix}: {n} images and {n_labels} labels; need equal counts of at least {count}")
        write_idx(os.path.join(out, f"{out_prefix}-images-idx3-ubyte.gz"), IMAGES_MAGIC,
                  (count, rows, cols), pixels[:count * rows * cols])
        write_idx(os.path.join(out, f"{out_prefix}-labels-idx1-ubyte.gz"), LABELS_MAGIC,
                  (count,), labels[:count])
        per_class = [0] * NUM_CLASSES
        for label in labels[:count]:
            per_class[label] += 1
        print(f"{out_prefix}: {count} examples of {rows}x{cols}; per class {per_class}")


if __name__ == "__main__":
    main()
