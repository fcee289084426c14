#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets (fuzz/corpus/<target>/) from the committed
fixtures: real TensorBoard event files and W&B run files (cut at record boundaries to a few
KiB), lines of examples/plain-sweep/sweep.jsonl, lines of an MLflow file store metric file,
the queries of docs/query-language.md, and fixed pseudo-random bytes for bundle_roundtrip
(whose input draws an archive). The bundle_decode seeds (index, chunk and detail
files) are written by `cargo run --manifest-path fuzz/Cargo.toml --example bundle_seeds`.

Run from anywhere: python3 fuzz/make_seeds.py
"""

import re
import struct
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"
TB = ROOT / "tests" / "fixtures" / "tensorboard" / "logdir"
TF2 = ROOT / "tests" / "fixtures" / "tensorboard-tf2" / "logdir"
WANDB = ROOT / "tests" / "fixtures" / "wandb" / "wandb"
MAX_SEED = 4096


def write(target, name, data):
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)


def tfrecord_prefix(data, limit):
    """The longest run of whole records from the start that fits in `limit` bytes."""
    at = 0
    while at + 12 <= len(data):
        (length,) = struct.unpack_from("<Q", data, at)
        end = at + 12 + length + 4
        if end > limit or end > len(data):
            break
        at = end
    return data[:at]


def event_files(root):
    return sorted(p for p in root.rglob("events.out.tfevents.*") if p.is_file())


def tensorboard():
    for path in event_files(TB) + event_files(TF2):
        seed = tfrecord_prefix(path.read_bytes(), MAX_SEED)
        name = str(path.parent.relative_to(path.parents[2])).replace("/", "-")
        for target in ("tfrecord", "tf_events"):
            write(target, f"{name}.tfevents", seed)


def wandb():
    for path in sorted(WANDB.glob("offline-run-*/run-*.wandb")):
        data = path.read_bytes()
        for target in ("wandb_framing", "wandb_records"):
            # Small files whole; the two-block baseline whole too, for the block boundary.
            write(target, path.name, data)


def jsonl():
    lines = (ROOT / "examples" / "plain-sweep" / "sweep.jsonl").read_bytes().splitlines(True)
    write("jsonl", "sweep-head.jsonl", b"".join(lines[:12]))
    bare = [l for l in lines if b"NaN" in l or b"Infinity" in l][:4]
    write("jsonl", "sweep-non-finite.jsonl", b"".join(bare))
    no_step = b'{"type":"metrics","run":"r","values":{"loss":1,"acc":"0.5"}}\n' * 2
    write("jsonl", "no-step.jsonl", no_step)
    damaged = (
        b'{"type":"run","run":"half","name":"h","status":"finished"}\n'
        b'{"type":"metrics","run":"half","step":1,"values":{"loss":\n'
        b"\xff\xfe not json\n"
        b'{"type":"params","run":"half","params":{"a":{"b":[1,2]},"c":null}}\n'
        b'{"type":"metrics","run":"half","step":3,"values":{"loss":1.0}'
    )
    write("jsonl", "damaged.jsonl", damaged)


def metric_lines():
    store = ROOT / "tests" / "fixtures" / "mlflow" / "mlruns"
    path = sorted(p for p in store.rglob("metrics/*") if p.is_file())[0]
    for i, line in enumerate(path.read_bytes().splitlines()[:3]):
        write("metric_line", f"fixture-{i}", line)
    for i, line in enumerate([b"1 -inf 2 train-v1 b064d295", b"1700000000000 nan", b"1 1e308 -5"]):
        write("metric_line", f"forms-{i}", line)


def roundtrip():
    # Any bytes draw an archive; a few fixed pseudo-random ones of several sizes give the
    # fuzzer runs, params and series to start from.
    import random

    rng = random.Random(20261129)
    for size in (64, 256, 1024, 4096):
        write("bundle_roundtrip", f"random-{size}", bytes(rng.randrange(256) for _ in range(size)))


def queries():
    doc = (ROOT / "docs" / "query-language.md").read_text()
    # The error table and the examples table (the field table before them names fields).
    doc = doc[doc.index("| `lr <`") :]
    found = re.findall(r"^\| `+ ?(.+?) ?`+ \|", doc, flags=re.M)
    examples = [q.replace("\\|", "|") for q in found]
    for i, query in enumerate(examples):
        write("query", f"doc-{i:02}", query.encode())


if __name__ == "__main__":
    tensorboard()
    wandb()
    jsonl()
    metric_lines()
    queries()
    roundtrip()
