#!/usr/bin/env python3
"""The MLflow peer of `runlens-bench mlflow`: writes a SQLite store with the real `mlflow`
package, then times MLflow's own Python API loading every run and every full metric history.

    python mlflow_peer.py --db DIR/mlflow.db --runs 50 --metrics 5 --steps 1000

Prints one JSON line: {"points": N, "load_secs": S} (S = search_runs + get_metric_history
of every key of every run, the store already written).
"""

import argparse
import json
import os
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--metrics", type=int, default=5)
    parser.add_argument("--steps", type=int, default=1000)
    args = parser.parse_args()

    import mlflow
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param, ViewType

    uri = f"sqlite:///{os.path.abspath(args.db)}"
    reuse = os.path.exists(args.db)
    client = MlflowClient(uri)
    if reuse:  # a store kept by an earlier run (runlens-bench mlflow --dir)
        exp = client.get_experiment_by_name("bench").experiment_id
    else:
        exp = client.create_experiment("bench", artifact_location=os.path.dirname(args.db))
    t0 = 1_700_000_000_000
    for r in range(0 if reuse else args.runs):
        run = client.create_run(exp, run_name=f"run-{r}", start_time=t0)
        batch = []
        for step in range(args.steps):
            for k in range(args.metrics):
                value = 1.0 / (1 + step) + r * 1e-3 + k
                batch.append(Metric(f"metric_{k}", value, t0 + step * 10, step))
                if len(batch) == 1000:  # MLflow's log_batch limit
                    client.log_batch(run.info.run_id, metrics=batch)
                    batch = []
        client.log_batch(run.info.run_id, metrics=batch,
                         params=[Param("lr", str(0.001 * (r + 1))), Param("seed", str(r))])
        client.set_terminated(run.info.run_id, end_time=t0 + args.steps * 10)

    start = time.perf_counter()
    client = MlflowClient(uri)
    runs = client.search_runs([exp], run_view_type=ViewType.ALL, max_results=50_000)
    points = 0
    for run in runs:
        for key in run.data.metrics:
            points += len(client.get_metric_history(run.info.run_id, key))
    elapsed = time.perf_counter() - start
    print(json.dumps({"points": points, "load_secs": elapsed, "runs": len(runs),
                      "mlflow": mlflow.__version__}))


if __name__ == "__main__":
    main()
