#!/usr/bin/env python3
"""Generate examples/plain-sweep/: one small image-classifier sweep in each plain format.

  sweep.jsonl            JSONL event stream: 12 runs (lr x optimizer x seed), one diverging
                         to inf/NaN and marked failed, one still running
  leaderboard.csv        runs table of an older sweep: one row per run, final metrics
  finetune-metrics.csv   long-form metrics (run, step, key, value, time) of 3 fine-tunes

Standard library only and deterministic (fixed seed): running it again rewrites the same
bytes. Usage: python3 examples/make_plain_sweep.py [--out DIR]  (default: examples/plain-sweep)
"""

import argparse
import csv
import json
import math
import random
from datetime import datetime, timezone
from pathlib import Path

OUT = Path(__file__).resolve().parent / "plain-sweep"
START = 1_700_000_000  # 2023-11-14T22:13:20Z
EXPERIMENT = "cifar10-resnet"


def iso(secs):
    """RFC 3339 UTC text of epoch seconds."""
    return datetime.fromtimestamp(secs, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def sig(x, digits=5):
    """x rounded to a few significant digits (keeps the files small); inf/NaN unchanged."""
    if not math.isfinite(x) or x == 0:
        return x
    return round(x, digits - 1 - int(math.floor(math.log10(abs(x)))))


def curve(rng, step, floor, scale, rate, noise):
    """A noisy exponential decay towards floor."""
    return floor + scale * math.exp(-rate * step) + rng.gauss(0, noise)


def sweep_jsonl(rng):
    lines = []

    def emit(record):
        # allow_nan (the default) writes bare NaN/Infinity, as Python loggers do.
        lines.append(json.dumps(record, separators=(",", ":")))

    index = 0
    for lr in (0.001, 0.003, 0.01):
        for optimizer in ("adam", "sgd"):
            for seed in (0, 1):
                run = f"lr{lr}-{optimizer}-s{seed}"
                start = START + index * 3600
                index += 1
                diverges = lr == 0.01 and optimizer == "adam" and seed == 1
                running = lr == 0.003 and optimizer == "sgd" and seed == 1
                last_step = 80 if running else 150
                emit({"type": "run", "run": run, "name": run, "experiment": EXPERIMENT,
                      "group": "sweep-1", "status": "running", "start_time": iso(start)})
                emit({"type": "params", "run": run, "params": {
                    "lr": lr, "optimizer": optimizer, "seed": seed, "batch_size": 128,
                    "epochs": 30, "model": "resnet18", "augment": True,
                    "scheduler": {"name": "cosine", "warmup_steps": 5}}})
                emit({"type": "tags", "run": run, "tags": {
                    "git_commit": "3e7a1c9", "host": f"gpu-0{index % 3 + 1}"}})
                # Faster learning rates converge faster; sgd is a bit slower than adam.
                rate = lr * (4.0 if optimizer == "adam" else 2.5)
                floor = 0.25 + (0.1 if optimizer == "sgd" else 0.0) + rng.uniform(0, 0.05)
                ceiling = (0.88 + (0.03 if optimizer == "adam" else 0.0)
                           + {0.001: 0.0, 0.003: 0.02, 0.01: -0.01}[lr] + rng.uniform(0, 0.01))
                t = start
                for step in range(0, last_step + 1, 2):
                    t += 3.0 + rng.uniform(0, 0.2)
                    if diverges and step >= 40:
                        loss = math.inf if step < 46 else math.nan
                    elif diverges and step >= 30:
                        loss = 2.3 * math.exp(0.35 * (step - 30))
                    else:
                        loss = max(0.01, curve(rng, step * 4, floor, 2.05, rate, 0.03))
                    emit({"type": "metrics", "run": run, "step": step, "time": round(t, 2),
                          "values": {"train/loss": sig(loss)}})
                    if diverges and step >= 46:
                        break
                    if step % 10 == 0:
                        if diverges and step >= 40:
                            val_loss, val_acc = math.nan, 0.1
                        else:
                            val_loss = max(0.01, curve(rng, step * 4, floor + 0.08, 2.0, rate, 0.02))
                            val_acc = min(0.99, 0.1 + (ceiling - 0.1) * (1 - math.exp(-rate * step * 3))
                                          + rng.gauss(0, 0.01))
                        emit({"type": "metrics", "run": run, "step": step, "time": round(t, 2),
                              "values": {"val/loss": sig(val_loss), "val/acc": sig(val_acc, 4)}})
                if running:
                    continue
                status = "failed" if diverges else "finished"
                emit({"type": "run", "run": run, "status": status, "end_time": iso(t + 5)})
    return "\n".join(lines) + "\n"


def leaderboard_csv(rng, path):
    header = ["run_id", "name", "experiment", "status", "start_time", "end_time",
              "params.lr", "params.optimizer", "params.batch_size", "params.weight_decay",
              "metrics.val/acc", "metrics.val/loss", "metrics.train/loss", "tags.note"]
    rows = []
    configs = [(lr, opt, wd) for lr in (0.1, 0.03, 0.001) for opt in ("sgd", "adam")
               for wd in (0.0, 5e-4)][:10]
    for i, (lr, opt, wd) in enumerate(configs):
        start = START - 30 * 86400 + i * 5400
        failed = lr == 0.1 and opt == "adam"
        acc = 0.62 + 0.25 * rng.random() + (0.04 if wd else 0.0)
        note = "baseline, no augmentation" if i == 0 else ""
        if failed and wd:
            note = "diverged at epoch 3"
        rows.append([
            f"v0-{i + 1:02d}", f"{opt}-lr{lr}-wd{wd}", f"{EXPERIMENT}-v0",
            "FAILED" if failed else "FINISHED", iso(start), iso(start + 4000 + i * 37),
            lr, opt, 256, wd,
            "" if failed else sig(acc, 4),
            "nan" if failed else sig(1.6 - acc, 4),
            "inf" if failed and wd else sig(1.4 - acc, 4),
            note,
        ])
    with open(path, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def finetune_csv(rng, path):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["experiment", "run", "step", "key", "value", "time"])
        for i, lr in enumerate(("1e-5", "2e-5", "5e-5")):
            run = f"ft-vit-b16-lr{lr}"
            t = START + 2 * 86400 + i * 7200
            rate = float(lr) * 2000
            for step in range(0, 201, 5):
                t += 12
                loss = max(0.02, curve(rng, step, 0.3, 1.8, rate, 0.02))
                writer.writerow(["vit-finetune", run, step, "train/loss", sig(loss), iso(t)])
                if step % 25 == 0:
                    f1 = min(0.99, 0.3 + 0.6 * (1 - math.exp(-rate * step)) + rng.gauss(0, 0.01))
                    writer.writerow(["vit-finetune", run, step, "eval/f1", sig(f1, 4), iso(t)])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="output directory")
    out = parser.parse_args().out
    rng = random.Random(20231114)
    out.mkdir(parents=True, exist_ok=True)
    (out / "sweep.jsonl").write_text(sweep_jsonl(rng))
    leaderboard_csv(rng, out / "leaderboard.csv")
    finetune_csv(rng, out / "finetune-metrics.csv")
    for name in ("sweep.jsonl", "leaderboard.csv", "finetune-metrics.csv"):
        print(f"{out / name}: {(out / name).stat().st_size} bytes")


if __name__ == "__main__":
    main()
