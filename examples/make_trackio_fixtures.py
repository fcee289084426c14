#!/usr/bin/env python3
"""Writes the trackio fixture (tests/fixtures/trackio/) with the real trackio package.

Usage: make_trackio_fixtures.py --out DIR

DIR/trackio/ becomes a trackio directory (TRACKIO_DIR) with two projects: `demo` (three
runs of a small sweep: a config with a group, loss/accuracy with NaN and +/-inf, a second
log() at the same step, an image, an artifact, info/warn alerts, and a run that ends with
an error alert) and `other` (one run). Then DIR/expected.json describes every run as
trackio's own storage API returns it (SQLiteStorage.get_run_config / get_logs /
get_alerts): params (the config without trackio's reserved `_` keys), group, status
("failed" when an error alert was raised, else "unknown": trackio records no status),
alert count, media count, artifacts, and per metric count, last, min, max and first/last
step. NaN and infinities are written as the strings "NaN", "Infinity", "-Infinity".

The values are fixed, but run ids, timestamps and media file names are random, so two
runs of the script give different bytes and the same description.
"""

import argparse
import json
import math
import os
import shutil
import sys
from pathlib import Path


def number(x):
    if isinstance(x, float) and math.isnan(x):
        return "NaN"
    if isinstance(x, float) and math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return x


def write_runs(trackio, work: Path):
    import numpy as np

    def curve(run_index, step):
        return 1.0 / (1 + step) + 0.1 * run_index

    for i, (name, lr, group) in enumerate(
        [("lr-0.01", 0.01, "sweep-a"), ("lr-0.1", 0.1, "sweep-a")]
    ):
        trackio.init(
            project="demo",
            name=name,
            group=group,
            config={
                "lr": lr,
                "batch_size": 32,
                "optimizer": "adam",
                "layers": [64, 32],
                "model": {"dropout": 0.1, "activation": "relu"},
                "use_amp": i == 0,
                "weight_decay": 1e-05,
            },
        )
        for step in range(12):
            metrics = {
                "train/loss": curve(i, step),
                "train/accuracy": 1.0 - curve(i, step) / 2,
            }
            if i == 0 and step == 3:
                metrics["train/loss"] = float("nan")
            if i == 0 and step == 4:
                metrics["train/grad_norm"] = float("inf")
            if step == 5:
                metrics["train/grad_norm"] = -float("inf")
            if step % 4 == 3:
                metrics["eval/loss"] = curve(i, step) + 0.05
            trackio.log(metrics, step=step)
        # a second log() at the same step makes a second row
        trackio.log({"train/loss": 0.01 * (i + 1)}, step=11)
        if i == 0:
            pixels = (np.arange(8 * 8 * 3).reshape(8, 8, 3) * 2).astype(np.uint8)
            trackio.log({"samples": trackio.Image(pixels, caption="a gradient")}, step=11)
            notes = work / "notes.txt"
            notes.write_text("trained with lr 0.01\n")
            trackio.log_artifact(str(notes), name="run-notes", type="notes")
            trackio.alert("loss is NaN", text="at step 3, kept going", level=trackio.AlertLevel.WARN)
        else:
            trackio.alert("halfway", text="6 of 12 steps", level=trackio.AlertLevel.INFO)
        trackio.finish()

    trackio.init(project="demo", name="crashed", group="sweep-b", config={"lr": 1.0, "batch_size": 8})
    for step in range(3):
        trackio.log({"train/loss": 10.0 ** step}, step=step)
    trackio.alert("diverged", text="loss exploded: 100", level=trackio.AlertLevel.ERROR)
    trackio.finish()

    trackio.init(project="other", name="baseline", config={"seed": 7})
    for step in range(5):
        trackio.log({"score": step * 0.5})
    trackio.finish()


def describe(root: Path):
    from trackio.sqlite_storage import SQLiteStorage

    projects = {}
    for db in sorted(root.glob("*.db")):
        project = db.stem
        runs = {}
        for record in SQLiteStorage.get_run_records(project):
            run_id, name = record["id"], record["name"]
            config = SQLiteStorage.get_run_config(project, run_id=run_id) or {}
            logs = SQLiteStorage.get_logs(project, run_id=run_id)
            alerts = SQLiteStorage.get_alerts(project, run_id=run_id) or []
            series = {}
            media = 0
            for row in logs:
                for key, value in row.items():
                    if key in ("step", "timestamp"):
                        continue
                    if isinstance(value, dict):
                        media += 1
                        continue
                    if isinstance(value, bool) or not isinstance(value, (int, float)):
                        continue
                    series.setdefault(key, []).append((row["step"], float(value)))
            metrics = {}
            for key, points in sorted(series.items()):
                points.sort(key=lambda p: p[0])  # stable: ties keep their logged order
                values = [v for _, v in points]
                finite = [v for v in values if not math.isnan(v)]
                metrics[key] = {
                    "count": len(values),
                    "last": number(values[-1]),
                    "min": number(min(finite)) if finite else "NaN",
                    "max": number(max(finite)) if finite else "NaN",
                    "steps": [points[0][0], points[-1][0]],
                }
            levels = [str(a.get("level", "")).lower() for a in alerts]
            runs[run_id] = {
                "name": name,
                "group": config.get("_Group"),
                "params": {k: v for k, v in sorted(config.items()) if not k.startswith("_")},
                "status": "failed" if "error" in levels else "unknown",
                "alerts": len(alerts),
                "media": media,
                "metrics": metrics,
            }
        projects[project] = dict(sorted(runs.items()))
    return {"projects": projects}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args()
    out = args.out.resolve()
    root = out / "trackio"
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    # trackio reads TRACKIO_DIR when it is imported.
    os.environ["TRACKIO_DIR"] = str(root)
    os.environ.setdefault("TRACKIO_SHOW_PROGRESS", "0")
    work = out / "work"
    work.mkdir(exist_ok=True)
    import trackio

    if Path(trackio.TRACKIO_DIR).resolve() != root:
        sys.exit(f"trackio writes to {trackio.TRACKIO_DIR}, not {root}")
    write_runs(trackio, work)
    shutil.rmtree(work)
    expected = describe(root)
    (out / "expected.json").write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
