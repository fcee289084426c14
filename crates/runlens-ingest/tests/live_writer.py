#!/usr/bin/env python3
"""A real tracker appending to its logs while runlens reads them (tests/live_writers.rs).

    python live_writer.py KIND OUT [--seconds S] [--steps N]

The logs go to OUT/logs: KIND is mlflow (SQLite store logs/mlflow.db through a sqlite:///
tracking URI), tensorboard (tensorboardX SummaryWriter in logs/<run>, flushed after every
step), trackio (TRACKIO_DIR=logs) or wandb (offline runs under WANDB_DIR=logs). Each writes
two runs, one after the other, each with params (or config), a tag where the tracker has
tags, and two metrics logged at each of N steps in a loop paced to last about S seconds
(longer when the tracker is slower: MLflow commits every step to disk), so the reader sees
a run being written, and later a finished one beside it.

When the writer is done it writes OUT/count.json: for each run name, for each metric key,
the number of points logged. The test checks that runlens' final read holds exactly these.
"""

import argparse
import json
import os
import time
from pathlib import Path

RUNS = [("first", 0.01), ("second", 0.1)]
STEPS = 150  # --steps
METRICS = ("loss", "acc")


def value(key, lr, step):
    base = 1.0 / (1 + step) + lr
    return base if key == "loss" else 1.0 - base / 2


def pace(seconds):
    """Sleep between steps so that both runs take about `seconds` in all."""
    return seconds / (len(RUNS) * STEPS)


def mlflow_writer(out: Path, seconds: float):
    import mlflow

    mlflow.set_tracking_uri("sqlite:///" + str(out / "mlflow.db"))
    # Artifacts beside the store (not in ./mlruns of whatever the working directory is).
    mlflow.create_experiment("live", artifact_location=(out / "artifacts").as_uri())
    mlflow.set_experiment("live")
    for name, lr in RUNS:
        with mlflow.start_run(run_name=name):
            mlflow.log_params({"lr": lr, "optimizer": "adam"})
            mlflow.set_tag("phase", "live")
            mlflow.log_text(f"run {name}", "notes.txt")
            for step in range(STEPS):
                # One transaction per step (each commit waits for the disk).
                mlflow.log_metrics({key: value(key, lr, step) for key in METRICS}, step=step)
                time.sleep(pace(seconds))


def tensorboard_writer(out: Path, seconds: float):
    from tensorboardX import SummaryWriter

    for name, lr in RUNS:
        with SummaryWriter(str(out / name), flush_secs=1) as writer:
            for step in range(STEPS):
                for key in METRICS:
                    writer.add_scalar(key, value(key, lr, step), step)
                writer.flush()
                time.sleep(pace(seconds))


def trackio_writer(out: Path, seconds: float):
    os.environ["TRACKIO_DIR"] = str(out)
    import trackio

    for name, lr in RUNS:
        trackio.init(project="live", name=name, config={"lr": lr, "optimizer": "adam"})
        for step in range(STEPS):
            trackio.log({key: value(key, lr, step) for key in METRICS}, step=step)
            time.sleep(pace(seconds))
        trackio.finish()


def wandb_writer(out: Path, seconds: float):
    os.environ["WANDB_MODE"] = "offline"
    os.environ["WANDB_SILENT"] = "true"
    os.environ["WANDB_DIR"] = str(out)
    os.environ["WANDB_CONSOLE"] = "off"
    import wandb

    settings = wandb.Settings(
        x_disable_meta=True,
        x_disable_stats=True,
        x_disable_machine_info=True,
        disable_code=True,
        save_code=False,
        disable_git=True,
        disable_job_creation=True,
        x_save_requirements=False,
    )
    for name, lr in RUNS:
        run = wandb.init(
            project="live",
            name=name,
            tags=["live"],
            config={"lr": lr, "optimizer": "adam"},
            settings=settings,
        )
        for step in range(STEPS):
            run.log({key: value(key, lr, step) for key in METRICS}, step=step)
            time.sleep(pace(seconds))
        run.finish()


WRITERS = {
    "mlflow": mlflow_writer,
    "tensorboard": tensorboard_writer,
    "trackio": trackio_writer,
    "wandb": wandb_writer,
}


def main():
    global STEPS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=sorted(WRITERS))
    parser.add_argument("out", type=Path)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--steps", type=int, default=STEPS)
    args = parser.parse_args()
    STEPS = args.steps
    logs = args.out / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    WRITERS[args.kind](logs, args.seconds)
    count = {name: {key: STEPS for key in METRICS} for name, _ in RUNS}
    (args.out / "count.json").write_text(json.dumps(count, indent=1, sort_keys=True))
    print(f"{args.kind}: logged {len(RUNS)} runs x {len(METRICS)} metrics x {STEPS} steps")


if __name__ == "__main__":
    main()
