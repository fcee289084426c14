#!/usr/bin/env python3
"""The peers of the scale suite (`runlens-bench scale`). Each command prints one JSON line.

    scale_peers.py mlflow-init --db PATH
        has the real mlflow create an empty SQLite store (its schema, experiment 1 "scale")
    scale_peers.py jsonl DIR
        Python's json.loads on every line of DIR/*.jsonl, counting the metric values
    scale_peers.py sqlite --db PATH
        Python's sqlite3: SELECT every row of the metrics table, as tuples
    scale_peers.py mlflow-client --db PATH --runs K
        MlflowClient: search_runs, then get_metric_history of every key of the first K runs
    scale_peers.py tensorboard DIR --runs K
        TensorBoard's EventAccumulator (size_guidance 0) on the first K run directories

Each reports {"points": N, "seconds": S, "cpu_seconds": C, "peak_rss_kib": R} (S wall and C
CPU time of the load, R this process's ru_maxrss).
"""

import argparse
import json
import os
import resource
import time


def report(points, start, cpu_start, **extra):
    """Prints the figures of a load that began at perf_counter() `start`, process_time()
    `cpu_start`."""
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"points": points, "seconds": seconds, "cpu_seconds": cpu,
                      "peak_rss_kib": peak, **extra}))


def mlflow_init(db):
    import mlflow
    from mlflow import MlflowClient

    client = MlflowClient(f"sqlite:///{os.path.abspath(db)}")
    experiment = client.create_experiment(
        "scale", artifact_location=os.path.join(os.path.dirname(os.path.abspath(db)), "artifacts"))
    print(json.dumps({"experiment_id": experiment, "mlflow": mlflow.__version__}))


def jsonl(directory):
    start, cpu_start = time.perf_counter(), time.process_time()
    points = 0
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".jsonl"):
            continue
        with open(os.path.join(directory, name), "rb") as f:
            for line in f:
                event = json.loads(line)
                if event["type"] == "metrics":
                    points += len(event["values"])
    report(points, start, cpu_start)


def sqlite(db):
    import sqlite3

    start, cpu_start = time.perf_counter(), time.process_time()
    conn = sqlite3.connect(f"file:{os.path.abspath(db)}?mode=ro", uri=True)
    cursor = conn.execute("SELECT run_uuid, key, step, timestamp, value, is_nan FROM metrics")
    points = 0
    while True:
        rows = cursor.fetchmany(10_000)
        if not rows:
            break
        points += len(rows)
    report(points, start, cpu_start)


def mlflow_client(db, runs):
    from mlflow import MlflowClient
    from mlflow.entities import ViewType

    start, cpu_start = time.perf_counter(), time.process_time()
    client = MlflowClient(f"sqlite:///{os.path.abspath(db)}")
    found = client.search_runs(["1"], run_view_type=ViewType.ALL, max_results=runs,
                               order_by=["attributes.run_name ASC"])
    points = 0
    non_finite = 0
    for run in found:
        for key in run.data.metrics:
            for metric in client.get_metric_history(run.info.run_id, key):
                points += 1
                non_finite += metric.value != metric.value or abs(metric.value) == float("inf")
    report(points, start, cpu_start, runs=len(found), non_finite=non_finite,
           names=[r.info.run_name for r in found])


def tensorboard(directory, runs):
    from tensorboard.backend.event_processing import event_accumulator as ea

    guidance = {ea.COMPRESSED_HISTOGRAMS: 0, ea.IMAGES: 0, ea.AUDIO: 0, ea.SCALARS: 0,
                ea.HISTOGRAMS: 0, ea.TENSORS: 0}
    start, cpu_start = time.perf_counter(), time.process_time()
    points = 0
    per_run = {}
    non_finite = 0
    for name in sorted(os.listdir(directory))[:runs]:
        acc = ea.EventAccumulator(os.path.join(directory, name), size_guidance=guidance)
        acc.Reload()
        count = 0
        for tag in acc.Tags()["scalars"]:
            for event in acc.Scalars(tag):
                count += 1
                non_finite += event.value != event.value or abs(event.value) == float("inf")
        per_run[name] = count
        points += count
    report(points, start, cpu_start, per_run=per_run, non_finite=non_finite)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("mlflow-init", "sqlite", "mlflow-client"):
        p = sub.add_parser(name)
        p.add_argument("--db", required=True)
        p.add_argument("--runs", type=int, default=20)
    p = sub.add_parser("jsonl")
    p.add_argument("dir")
    p = sub.add_parser("tensorboard")
    p.add_argument("dir")
    p.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    if args.command == "mlflow-init":
        mlflow_init(args.db)
    elif args.command == "sqlite":
        sqlite(args.db)
    elif args.command == "mlflow-client":
        mlflow_client(args.db, args.runs)
    elif args.command == "jsonl":
        jsonl(args.dir)
    else:
        tensorboard(args.dir, args.runs)


if __name__ == "__main__":
    main()
