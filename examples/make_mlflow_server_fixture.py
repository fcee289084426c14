#!/usr/bin/env python3
"""Logs a small study into a running MLflow tracking server with the real `mlflow` package.

    mlflow server --backend-store-uri sqlite:///$PWD/mlflow.db --host 127.0.0.1 --port 5000 \
        --artifacts-destination $PWD/mlartifacts &
    python examples/make_mlflow_server_fixture.py --url http://127.0.0.1:5000

The end-to-end test of runlens' REST reader (crates/runlens-ingest/tests/mlflow_server.rs)
starts such a server on a free port, runs this script against it, then reads the server over
HTTP and its `mlflow.db` directly and checks that both give the same archive.

Content: experiments "server-sweep" and "server-scratch" (the last one deleted); a nested
parent with two children, a failed run that logged +inf/-inf/NaN, a deleted run, params of
several types, tags and a note, metrics with and without steps (one key with 30,000 points,
more than one history page), a dataset input with a
context, a text and a PNG artifact (in a subfolder), and a registered model with two
versions (one in stage "Production", one with the alias "champion") made from runs.
"""

import argparse
import struct
import sys
import tempfile
import zlib
from pathlib import Path

# Fixed times (ms): 2023-11-14T22:13:20Z.
T0 = 1_700_000_000_000

# More points than one metric-history page of the server (25,000), so that the reader's
# paging is exercised against the real thing.
LONG_HISTORY = 30_000


def tiny_png():
    """A valid 2x2 RGB PNG, written by hand so no imaging package is needed."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + bytes([255, 0, 0, 0, 255, 0]) for _ in range(2))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def populate(url):
    import mlflow
    import pandas as pd
    from mlflow import MlflowClient
    from mlflow.entities import Metric

    mlflow.set_tracking_uri(url)
    mlflow.set_registry_uri(url)
    client = MlflowClient(url, registry_uri=url)
    sweep = client.create_experiment("server-sweep", tags={"team": "vision"})
    scratch = client.create_experiment("server-scratch")

    mlflow.set_experiment(experiment_id=sweep)
    with mlflow.start_run(run_name="parent") as parent:
        mlflow.log_params({"search": "grid", "trials": 2})
        mlflow.set_tag("mlflow.note.content", "# Grid search\nTwo *children*.")
        for i, lr in enumerate([0.01, 0.001]):
            with mlflow.start_run(run_name=f"child-{'ab'[i]}", nested=True):
                mlflow.log_params({"lr": lr, "batch_size": 64, "use_amp": i == 0,
                                   "layers": [256, 128], "weight_decay": 1e-05})
                for step in range(40):
                    mlflow.log_metric("train/loss", 2.0 / (1 + step * lr * 10), step=step,
                                      timestamp=T0 + 1000 * step)
        mlflow.log_metric("best_val_acc", 0.745)  # no step: step 0

    # Failed, with +inf, -inf and NaN values, and one long history (log_batch).
    try:
        with mlflow.start_run(run_name="diverged") as diverged:
            mlflow.log_params({"lr": 10.0, "optimizer": "sgd"})
            for step, value in enumerate([1.5, 3.0, 1e6, float("inf"), float("nan")]):
                mlflow.log_metric("train/loss", value, step=step, timestamp=T0 + step)
            mlflow.log_metric("grad/norm/min", float("-inf"), step=4, timestamp=T0 + 4)
            batch = [Metric("sys/gpu_util", float(50 + step % 7), T0 + step, step)
                     for step in range(LONG_HISTORY)]
            for start in range(0, len(batch), 1000):  # log_batch takes 1,000 at most
                client.log_batch(diverged.info.run_id, metrics=batch[start:start + 1000])
            raise RuntimeError("loss diverged")
    except RuntimeError:
        pass

    # A baseline with a dataset input, a note, two artifacts and a registered model.
    with mlflow.start_run(run_name="baseline") as baseline:
        frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [0, 1, 0]})
        dataset = mlflow.data.from_pandas(frame, source="data/train.csv", name="train-v1")
        mlflow.log_input(dataset, context="training")
        mlflow.log_params({"lr": 0.1, "epochs": 3, "shuffle": False, "notes": "plain sgd"})
        mlflow.set_tags({"mlflow.note.content": "Baseline **without** augmentation.",
                         "priority": "high"})
        for epoch in range(3):
            mlflow.log_metric("loss", 1.0 / (epoch + 1))  # no step: all at step 0
        mlflow.log_metric("eval/acc", 0.61, step=1, timestamp=T0 + 10)
        mlflow.log_metric("eval/acc", 0.63, step=1, timestamp=T0 + 20)
        mlflow.log_text("epoch 1: loss 1.0\nepoch 2: loss 0.5\n", "logs/train.txt")
        with tempfile.TemporaryDirectory() as tmp:
            png = Path(tmp) / "curve.png"
            png.write_bytes(tiny_png())
            mlflow.log_artifact(str(png), artifact_path="plots")

    # A deleted run, and a run in an experiment that is then deleted.
    with mlflow.start_run(run_name="deleted-run") as gone:
        mlflow.log_param("lr", 0.2)
        mlflow.log_metric("train/loss", 0.5, step=0)
    client.delete_run(gone.info.run_id)
    mlflow.set_experiment(experiment_id=scratch)
    with mlflow.start_run(run_name="scratch-run"):
        mlflow.log_param("lr", 0.3)
        mlflow.log_metric("train/loss", 0.4, step=0)
    client.delete_experiment(scratch)

    # The model registry: two versions of one model, from two runs.
    client.create_registered_model("classifier", tags={"task": "vision"},
                                   description="Image **classifier**.")
    first = client.create_model_version(
        "classifier", f"runs:/{baseline.info.run_id}/model", run_id=baseline.info.run_id,
        tags={"data": "v1"}, description="The baseline.")
    client.transition_model_version_stage("classifier", first.version, "Production")
    second = client.create_model_version(
        "classifier", f"runs:/{parent.info.run_id}/model", run_id=parent.info.run_id)
    client.set_registered_model_alias("classifier", "champion", second.version)
    return [parent, diverged, baseline]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True, help="the tracking server, http://HOST:PORT")
    args = parser.parse_args()
    populate(args.url)
    print(f"logged into {args.url}", file=sys.stderr)


if __name__ == "__main__":
    main()
