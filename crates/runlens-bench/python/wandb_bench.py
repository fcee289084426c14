#!/usr/bin/env python3
"""The peer of the W&B ingest benchmark (`runlens-bench wandb`).

    wandb_bench.py generate --out DIR [--runs 10 --metrics 10 --steps 10000]
        writes DIR/wandb/ with the real wandb package (offline): RUNS runs of METRICS
        metrics x STEPS steps
    wandb_bench.py load DIR
        decodes every run-*.wandb file under DIR: LevelDB-log framing with every chunk's
        CRC-32 checked, records with wandb's own protobuf class
        (wandb.proto.wandb_internal_pb2.Record), history values with json.loads; prints one
        JSON line {"points": N, "seconds": S}

wandb 0.31 has no Python reader for .wandb files (wandb-core reads them in Go), so this is
the closest Python peer: W&B's generated protobuf decoding plus the standard library.
Needs wandb (examples/requirements.txt).
"""

import argparse
import json
import math
import os
import struct
import time
import zlib
from pathlib import Path

BLOCK = 32 * 1024


def generate(out, runs, metrics, steps):
    os.environ["WANDB_MODE"] = "offline"
    os.environ["WANDB_SILENT"] = "true"
    os.environ["WANDB_DIR"] = str(out)
    os.environ["WANDB_CONSOLE"] = "off"
    import wandb

    Path(out).mkdir(parents=True, exist_ok=True)
    settings = wandb.Settings(x_disable_meta=True, x_disable_stats=True, disable_git=True, save_code=False)
    for r in range(runs):
        run = wandb.init(project="bench", id=f"bench{r:03d}", config={"run": r}, settings=settings)
        for step in range(steps):
            run.log({f"metric/{m}": math.exp(-step / steps) + 0.01 * r + m for m in range(metrics)}, step=step)
        run.finish()


def records(data):
    pos, pending = 7, b""
    size = len(data)
    while pos < size:
        left = BLOCK - pos % BLOCK
        if left < 7:
            pos += left
            continue
        crc, length, kind = struct.unpack_from("<IHB", data, pos)
        chunk = data[pos + 7:pos + 7 + length]
        if zlib.crc32(chunk, zlib.crc32(bytes([kind]))) != crc:
            raise ValueError(f"bad CRC at {pos}")
        pos += 7 + length
        if kind == 1:
            yield chunk
        elif kind == 2:
            pending = chunk
        elif kind == 3:
            pending += chunk
        elif kind == 4:
            yield pending + chunk


def load(root):
    from wandb.proto import wandb_internal_pb2 as pb

    start = time.perf_counter()
    points = 0
    for path in sorted(Path(root).rglob("run-*.wandb")):
        if any(p.is_symlink() for p in path.parents):
            continue
        series = {}
        for data in records(path.read_bytes()):
            record = pb.Record()
            record.ParseFromString(data)
            if record.WhichOneof("record_type") != "history":
                continue
            row = {}
            for item in record.history.item:
                key = item.key or "/".join(item.nested_key)
                row[key] = json.loads(item.value_json)
            step = row.get("_step", record.history.step.num)
            for key, value in row.items():
                if not key.startswith("_") and isinstance(value, (int, float)) and not isinstance(value, bool):
                    series.setdefault(key, []).append((step, float(value)))
        points += sum(len(s) for s in series.values())
    seconds = time.perf_counter() - start
    print(json.dumps({"points": points, "seconds": seconds}))


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate")
    gen.add_argument("--out", required=True)
    gen.add_argument("--runs", type=int, default=10)
    gen.add_argument("--metrics", type=int, default=10)
    gen.add_argument("--steps", type=int, default=10000)
    ld = sub.add_parser("load")
    ld.add_argument("dir")
    args = parser.parse_args()
    if args.command == "generate":
        generate(args.out, args.runs, args.metrics, args.steps)
    else:
        load(args.dir)


if __name__ == "__main__":
    main()
