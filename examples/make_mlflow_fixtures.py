#!/usr/bin/env python3
"""Writes the MLflow test fixtures with the real `mlflow` package (see requirements.txt).

    python examples/make_mlflow_fixtures.py --out tests/fixtures/mlflow

writes into DIR:
  mlflow.db      a SQLite tracking store (VACUUMed into 1 KiB pages to stay small)
  mlruns/        a file store (MLFLOW_ALLOW_FILE_STORE=true) with the same logical content
  expected.json  for every run of both stores, what MLflow's own Python API returns:
                 status, lifecycle stage, params, tags, datasets and, per metric key,
                 count/min/max over get_metric_history and `last` = run.data.metrics[key]

Content: experiments "sweep", "ablation" and "scratch" (the last one deleted); a nested
parent with two children, a failed run that logged +inf/-inf/NaN, a killed run, a deleted
run, params of several types, a note, metrics with and without steps, keys with "/", a
dataset input, artifacts (text, JSON, a PNG, an HTML page with a script in it, a binary
that is only listed), a registered model with two versions, an alias and a stage, and a few
hundred points. Non-finite floats are written to expected.json as
the strings "inf", "-inf" and "nan" so the file stays strict JSON.
"""

import argparse
import json
import math
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

# Fixed times (ms) keep the two stores alike; 2023-11-14T22:13:20Z.
T0 = 1_700_000_000_000


def populate(uri, artifact_root):
    """Logs the fixture content into the tracking store at `uri`."""
    import mlflow
    import pandas as pd
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param, RunTag

    mlflow.set_tracking_uri(uri)
    client = MlflowClient(uri)

    def experiment(name):
        loc = None if artifact_root is None else os.path.join(artifact_root, name)
        return client.create_experiment(name, artifact_location=loc, tags={"team": "vision"})

    sweep = experiment("sweep")
    ablation = experiment("ablation")
    scratch = experiment("scratch")

    # A parent with two nested children (fluent API: the children get mlflow.parentRunId).
    mlflow.set_experiment(experiment_id=sweep)
    with mlflow.start_run(run_name="parent") as parent:
        mlflow.log_params({"search": "grid", "trials": 2})
        mlflow.set_tag("mlflow.note.content", "# Grid search\nTwo *children*, one per `lr`.")
        for i, lr in enumerate([0.01, 0.001]):
            with mlflow.start_run(run_name=f"child-{'ab'[i]}", nested=True):
                mlflow.log_params({"lr": lr, "batch_size": 64, "use_amp": i == 0,
                                   "optimizer": "adam", "layers": [256, 128],
                                   "weight_decay": 1e-05})
                for step in range(50):
                    mlflow.log_metric("train/loss", 2.0 / (1 + step * lr * 10), step=step,
                                      timestamp=T0 + 1000 * step)
                    if step % 10 == 9:
                        mlflow.log_metric("val/acc", 0.5 + step / 200 - i / 20, step=step,
                                          timestamp=T0 + 1000 * step + 500)
        mlflow.log_metric("best_val_acc", 0.745)  # no step: step 0

    # A run that diverged and raised: FAILED, with +inf, -inf and NaN values.
    try:
        with mlflow.start_run(run_name="diverged"):
            mlflow.log_params({"lr": 10.0, "optimizer": "sgd", "momentum": 0.9})
            for step, value in enumerate([1.5, 3.0, 1e6, float("inf"), float("nan")]):
                mlflow.log_metric("train/loss", value, step=step, timestamp=T0 + step)
            mlflow.log_metric("grad/norm/min", float("-inf"), step=4, timestamp=T0 + 4)
            mlflow.log_metric("grad/norm/min", 0.25, step=2, timestamp=T0 + 2)
            raise RuntimeError("loss diverged")
    except RuntimeError:
        pass

    # A baseline with a dataset input, a note and metrics logged without step.
    with mlflow.start_run(run_name="baseline") as baseline:
        frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [0, 1, 0]})
        dataset = mlflow.data.from_pandas(frame, source="data/train.csv", name="train-v1")
        mlflow.log_input(dataset, context="training")
        mlflow.log_params({"lr": 0.1, "epochs": 3, "shuffle": False, "notes": "plain sgd"})
        mlflow.set_tags({"mlflow.note.content": "Baseline **without** augmentation.",
                         "priority": "high"})
        for epoch in range(3):
            mlflow.log_metric("loss", 1.0 / (epoch + 1))  # no step: all at step 0
        # The same step logged twice at different times (legal in MLflow).
        mlflow.log_metric("eval/acc", 0.61, step=1, timestamp=T0 + 10)
        mlflow.log_metric("eval/acc", 0.63, step=1, timestamp=T0 + 20)

        log_artifacts(baseline.info.run_id, client)

    # A killed run.
    with mlflow.start_run(run_name="killed"):
        mlflow.log_param("lr", 0.05)
        mlflow.log_metric("train/loss", 0.9, step=0)
        mlflow.end_run(status="KILLED")

    # Ablation: a longer run (log_batch) and a deleted one.
    mlflow.set_experiment(experiment_id=ablation)
    with mlflow.start_run(run_name="ablation-long") as long_run:
        mlflow.log_params({"dropout": 0.1, "depth": 12})
        metrics = []
        for step in range(100):
            ts = T0 + 100 * step
            metrics.append(Metric("train/loss", 1.0 / (step + 1), ts, step))
            metrics.append(Metric("train/lr", 0.001 * (0.99 ** step), ts, step))
            metrics.append(Metric("sys/gpu_util", float(50 + step % 7), ts, step))
        for start in range(0, len(metrics), 100):
            client.log_batch(long_run.info.run_id, metrics=metrics[start:start + 100])
    with mlflow.start_run(run_name="deleted-run") as gone:
        mlflow.log_param("lr", 0.2)
        mlflow.log_metric("train/loss", 0.5, step=0)
    client.delete_run(gone.info.run_id)

    # A run in an experiment that is then deleted.
    mlflow.set_experiment(experiment_id=scratch)
    with mlflow.start_run(run_name="scratch-run"):
        mlflow.log_param("lr", 0.3)
        mlflow.log_metric("train/loss", 0.4, step=0)
    client.delete_experiment(scratch)

    # The model registry: two versions of one model, one with an alias and a stage.
    client.create_registered_model("classifier", tags={"task": "vision"},
                                   description="Picks the **best** sweep run.")
    first = client.create_model_version("classifier", f"{baseline.info.artifact_uri}/model",
                                        run_id=baseline.info.run_id, tags={"validated": "yes"},
                                        description="The baseline.")
    client.create_model_version("classifier", f"{long_run.info.artifact_uri}/model",
                                run_id=long_run.info.run_id)
    client.set_registered_model_alias("classifier", "champion", first.version)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # stages are deprecated but still in use
        client.transition_model_version_stage("classifier", first.version, "Production")
    return parent, baseline


# The smallest valid PNG: one transparent pixel.
PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


def log_artifacts(run_id, client):
    """Text, JSON, an image, hostile HTML and an opaque binary, some in a subfolder."""
    client.log_text(run_id, "epochs: 3\nlr: 0.1\n", "config/train.yaml")
    client.log_dict(run_id, {"accuracy": 0.61, "classes": ["cat", "dog"]}, "eval/metrics.json")
    client.log_text(run_id, "<h1>Report</h1><script>document.title = 'pwned'</script>",
                    "report.html")
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in [("curve.png", PNG_1X1), ("weights.bin", bytes(2048))]:
            path = os.path.join(tmp, name)
            with open(path, "wb") as f:
                f.write(data)
            client.log_artifact(run_id, path, "plots" if name.endswith(".png") else None)


def number(x):
    """A float as strict JSON: a number, or "inf"/"-inf"/"nan"."""
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def describe(uri):
    """What MLflow's Python API returns for every run of the store at `uri`."""
    from mlflow import MlflowClient
    from mlflow.entities import ViewType

    client = MlflowClient(uri)
    experiments = client.search_experiments(view_type=ViewType.ALL)
    names = {e.experiment_id: (e.name, e.lifecycle_stage) for e in experiments}
    runs = client.search_runs([e.experiment_id for e in experiments],
                              run_view_type=ViewType.ALL, max_results=10_000)
    out = []
    for run in runs:
        metrics = {}
        for key, last in run.data.metrics.items():
            history = client.get_metric_history(run.info.run_id, key)
            values = [m.value for m in history if not math.isnan(m.value)]
            metrics[key] = {
                "count": len(history),
                "last": number(last),
                "min": number(min(values)) if values else "nan",
                "max": number(max(values)) if values else "nan",
            }
        datasets = []
        for inp in run.inputs.dataset_inputs:
            context = {t.key: t.value for t in inp.tags}.get("mlflow.data.context")
            datasets.append({"name": inp.dataset.name, "digest": inp.dataset.digest,
                             "source": inp.dataset.source, "context": context})
        exp_name, exp_stage = names[run.info.experiment_id]
        artifacts = []
        pending = [None]
        while pending:
            for info in client.list_artifacts(run.info.run_id, pending.pop()):
                if info.is_dir:
                    pending.append(info.path)
                else:
                    artifacts.append({"path": info.path, "size": info.file_size})
        artifacts.sort(key=lambda a: a["path"])
        out.append({
            "run_id": run.info.run_id,
            "name": run.info.run_name,
            "experiment": exp_name,
            "experiment_lifecycle_stage": exp_stage,
            "lifecycle_stage": run.info.lifecycle_stage,
            "status": run.info.status,
            "start_time": run.info.start_time,
            "end_time": run.info.end_time,
            "params": dict(sorted(run.data.params.items())),
            "tags": dict(sorted(run.data.tags.items())),
            "metrics": dict(sorted(metrics.items())),
            "datasets": datasets,
            "artifacts": artifacts,
        })
    out.sort(key=lambda r: r["name"])
    models = []
    for model in client.search_registered_models():
        # search_model_versions leaves aliases out; get_model_version has them.
        versions = [client.get_model_version(model.name, v.version)
                    for v in client.search_model_versions(f"name = '{model.name}'")]
        models.append({
            "name": model.name,
            "description": model.description,
            "tags": model.tags,
            "versions": sorted(({
                "version": str(v.version),
                "run_id": v.run_id,
                "stage": v.current_stage,
                "aliases": sorted(v.aliases),
                "description": v.description or None,
                "status": v.status,
                "source": v.source,
                "created_ms": v.creation_timestamp,
                "tags": v.tags,
            } for v in versions), key=lambda v: int(v["version"])),
        })
    return {"runs": out, "models": models}


def child(store, out_dir, work):
    """Writes one store (run in its own process so MLflow's global state stays apart)."""
    if store == "sqlite":
        db = os.path.join(out_dir, "mlflow.db")
        uri = f"sqlite:///{db}"
        # Artifacts beside the database, as `mlflow server` keeps them (./mlartifacts).
        populate(uri, os.path.join(out_dir, "mlartifacts"))
        described = describe(uri)
        import mlflow
        mlflow.set_tracking_uri("")  # let SQLAlchemy's engine go before VACUUM
        # ~70 tables and their indexes take a page each even when empty: 1 KiB pages
        # (instead of 4 KiB) keep the committed file small. Only the storage changes.
        con = sqlite3.connect(db)
        con.execute("PRAGMA page_size = 1024")
        con.execute("VACUUM")
        con.close()
        if os.path.getsize(db) > 1_000_000:
            sys.exit(f"{db} is larger than 1 MB; shrink the fixture content")
    else:
        os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
        uri = os.path.join(out_dir, "mlruns")
        populate(uri, None)
        described = describe(uri)
    with open(os.path.join(work, f"{store}.json"), "w") as f:
        json.dump(described, f)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="directory to write into (replaced)")
    parser.add_argument("--store", choices=["sqlite", "file"], help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args()
    out_dir = os.path.abspath(args.out)
    if args.store:
        child(args.store, out_dir, args.work)
        return
    for name in ["mlflow.db", "mlruns", "mlartifacts", "expected.json"]:
        path = os.path.join(out_dir, name)
        if os.path.isdir(path):
            shutil.rmtree(path)
        elif os.path.exists(path):
            os.remove(path)
    os.makedirs(out_dir, exist_ok=True)
    import mlflow
    expected = {"mlflow_version": mlflow.__version__, "stores": {}}
    with tempfile.TemporaryDirectory() as work:
        for store in ["sqlite", "file"]:
            # cwd = work: nothing MLflow writes by default lands in the repository.
            subprocess.run([sys.executable, os.path.abspath(__file__), "--out", out_dir,
                            "--store", store, "--work", work], check=True, cwd=work)
            with open(os.path.join(work, f"{store}.json")) as f:
                expected["stores"][store] = json.load(f)
    with open(os.path.join(out_dir, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
