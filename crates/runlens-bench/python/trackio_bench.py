#!/usr/bin/env python3
"""The peer of the trackio ingest benchmark (`runlens-bench trackio`).

    trackio_bench.py generate --out DIR [--runs 20 --metrics 10 --steps 5000]
        writes the trackio directory DIR/trackio/ (TRACKIO_DIR) with one project `bench`:
        RUNS runs, each STEPS log() rows of METRICS values, through trackio's own storage
        layer (SQLiteStorage.bulk_log: trackio's schema, JSON serialisation and indexes,
        one transaction per run; log() itself would go through a background sender)
    trackio_bench.py load DIR
        reads every run of every project in DIR/trackio/ with trackio's own storage API
        (SQLiteStorage.get_run_records, then get_run_config and get_logs per run) and
        counts the numeric values; prints one JSON line
        {"rows": R, "values": V, "seconds": S}

Needs trackio (examples/requirements.txt).
"""

import argparse
import json
import math
import os
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path


def storage(root):
    os.environ["TRACKIO_DIR"] = str(root)
    from trackio.sqlite_storage import SQLiteStorage

    return SQLiteStorage


def generate(out, runs, metrics, steps):
    root = Path(out) / "trackio"
    root.mkdir(parents=True, exist_ok=True)
    store = storage(root)
    start = datetime(2026, 11, 1, tzinfo=timezone.utc)
    for r in range(runs):
        rows = []
        times = []
        for step in range(steps):
            row = {f"metric/{m}": math.exp(-step / steps) * (1 + m) + 0.01 * r for m in range(metrics)}
            if step % 1000 == 999 and r == 0:
                row["metric/0"] = math.nan
            rows.append(row)
            times.append((start + timedelta(seconds=r * steps + step)).isoformat())
        store.bulk_log(
            "bench",
            f"run-{r:03d}",
            rows,
            steps=list(range(steps)),
            timestamps=times,
            config={"lr": 0.001 * (r + 1), "seed": r, "_Group": "bench"},
            run_id=f"{r:032x}",
        )


def load(out):
    root = Path(out) / "trackio"
    store = storage(root)
    start = time.perf_counter()
    rows = values = 0
    for project in store.get_projects():
        for record in store.get_run_records(project):
            run_id = record["id"]
            store.get_run_config(project, run_id=run_id)
            for log in store.get_logs(project, run_id=run_id):
                rows += 1
                for key, value in log.items():
                    if key in ("step", "timestamp") or key.startswith("_"):
                        continue
                    if isinstance(value, (int, float)) and not isinstance(value, bool):
                        values += 1
    seconds = time.perf_counter() - start
    print(json.dumps({"rows": rows, "values": values, "seconds": seconds}))


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate")
    gen.add_argument("--out", required=True)
    gen.add_argument("--runs", type=int, default=20)
    gen.add_argument("--metrics", type=int, default=10)
    gen.add_argument("--steps", type=int, default=5000)
    ld = sub.add_parser("load")
    ld.add_argument("dir")
    args = parser.parse_args()
    if args.command == "generate":
        generate(args.out, args.runs, args.metrics, args.steps)
    else:
        load(args.dir)


if __name__ == "__main__":
    main()
