#!/usr/bin/env python3
"""Writes hostile runs with the real `mlflow` and `wandb` packages (see requirements.txt).

    python examples/make_hostile_fixtures.py --out DIR

writes into DIR:
  mlflow.db, mlartifacts/  an MLflow SQLite store: one run whose experiment name, run name,
                           param values, tag values, note (markdown with raw HTML and
                           `javascript:` links), dataset name, source and context, git tags
                           and artifact file names are hostile (MLflow refuses markup in param,
                           metric and tag keys, so those keys are plain)
  wandb/                   a W&B offline run whose name, group, job type, notes, tags, config
                           keys and values, metric keys, git remote and commit and a saved
                           file's name are hostile
  payloads.json            every string logged, by field, for the test to look for

Each payload would set `window.__pwned` (or call it) if it ever became markup or script in
the report; `tests/browser_hostile.rs` builds a report from this directory and checks that
none does. The payloads are the same family as `tests/support/hostile.rs`.
"""

import argparse
import json
import os
import tempfile
from pathlib import Path

T0 = 1_700_000_000_000

# Short payloads: W&B tags are limited to 64 characters.
SHORT = [
    "<img src=x onerror=__pwned('wb-tag')>",
    "<svg onload=__pwned('wb-tag2')>",
    "\u202egnp.exe",
]
VALUE = "<img src=x onerror=\"window.__pwned('{field}')\">\u202e</script><script>__pwned('{field}')</script>"
NOTES = """# Notes <img src=x onerror="__pwned('{tracker}-notes-h1')">

<script>__pwned('{tracker}-notes-script')</script>

<svg><script>__pwned('{tracker}-notes-svg')</script></svg>

[click me](javascript:__pwned('{tracker}-notes-link')) and <a href="javascript:__pwned('{tracker}-a')">raw</a>

![img](javascript:__pwned('{tracker}-notes-img')) {{{{7*7}}}} ${{__pwned('{tracker}-tpl')}}
"""


def value(field):
    return VALUE.format(field=field)


def write_mlflow(out: Path, payloads: dict) -> None:
    import mlflow
    import pandas as pd
    from mlflow import MlflowClient

    uri = f"sqlite:///{out / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    client = MlflowClient(uri)
    experiment = client.create_experiment(
        value("mlflow-experiment"), artifact_location=str(out / "mlartifacts"))
    mlflow.set_experiment(experiment_id=experiment)
    with mlflow.start_run(run_name=value("mlflow-name")) as run:
        mlflow.log_params({"optimizer": value("mlflow-param"), "lr": 0.1})
        mlflow.set_tags({
            "mlflow.note.content": NOTES.format(tracker="mlflow"),
            "mlflow.source.git.commit": value("mlflow-git-commit"),
            "mlflow.source.git.branch": value("mlflow-git-branch"),
            "mlflow.source.git.repoURL": "javascript:__pwned('mlflow-git-url')",
            "team": value("mlflow-tag"),
        })
        frame = pd.DataFrame({"x": [1.0, 2.0], "y": [0, 1]})
        dataset = mlflow.data.from_pandas(
            frame, source=value("mlflow-dataset-source"), name=value("mlflow-dataset"))
        mlflow.log_input(dataset, context=value("mlflow-dataset-context"))
        for step in range(5):
            mlflow.log_metric("loss", 1.0 / (step + 1), step=step, timestamp=T0 + step)
        with tempfile.TemporaryDirectory() as tmp:
            for name, text in [
                ("<img src=x onerror=__pwned('mlflow-artifact')>.txt", "plain text"),
                ("page.html", "<script>parent.__pwned('mlflow-html')</script>"),
                ("\u202elmth.txt", "<b>bold?</b>"),
            ]:
                path = os.path.join(tmp, name)
                with open(path, "w") as f:
                    f.write(text)
                mlflow.log_artifact(path)
        payloads["mlflow"] = {"run_id": run.info.run_id, "name": value("mlflow-name"),
                              "experiment": value("mlflow-experiment"),
                              "param": value("mlflow-param"), "tag": value("mlflow-tag"),
                              "dataset": value("mlflow-dataset"),
                              "artifact": "<img src=x onerror=__pwned('mlflow-artifact')>.txt",
                              "git_commit": value("mlflow-git-commit")}


def write_wandb(out: Path, payloads: dict) -> None:
    os.environ["WANDB_MODE"] = "offline"
    os.environ["WANDB_SILENT"] = "true"
    os.environ["WANDB_DIR"] = str(out)
    os.environ["WANDB_CONSOLE"] = "off"
    import wandb

    settings = wandb.Settings(
        x_disable_meta=True, x_disable_stats=True, x_disable_machine_info=True,
        disable_code=True, save_code=False, disable_git=True, disable_job_creation=True,
        x_save_requirements=False,
        git_remote_url=value("wandb-git-remote"), git_commit=value("wandb-git-commit"))
    key = "<b onmouseover=__pwned('wb-key')>lr</b>"
    metric = "<img src=x onerror=__pwned('wb-metric')>/loss"
    run = wandb.init(
        id="hostile1", project="runlens-hostile", name=value("wandb-name"),
        group=value("wandb-group"), job_type=value("wandb-job"), tags=SHORT,
        notes=NOTES.format(tracker="wandb"),
        config={key: value("wandb-config"), "nested": {"<i>x</i>": "javascript:__pwned(1)"}},
        settings=settings)
    for step in range(5):
        run.log({metric: 1.0 / (step + 1), "plain": float(step)})
    saved = os.path.join(run.dir, "<svg onload=__pwned('wb-file')>.txt")
    with open(saved, "w") as f:
        f.write("<script>__pwned('wb-file-body')</script>")
    run.save(saved, base_path=run.dir, policy="now")
    run.finish()
    # Debug logs hold absolute paths; they are not run data.
    for folder in (out / "wandb").glob("*run-*"):
        for sub in ("logs", "tmp"):
            target = folder / sub
            if target.is_dir():
                for path in sorted(target.rglob("*"), reverse=True):
                    path.unlink() if path.is_file() or path.is_symlink() else path.rmdir()
                target.rmdir()
    payloads["wandb"] = {"name": value("wandb-name"), "group": value("wandb-group"),
                         "config_key": key, "config": value("wandb-config"),
                         "metric": metric, "tags": SHORT,
                         "file": "<svg onload=__pwned('wb-file')>.txt",
                         "git_commit": value("wandb-git-commit")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    payloads = {}
    write_mlflow(args.out, payloads)
    write_wandb(args.out, payloads)
    (args.out / "payloads.json").write_text(json.dumps(payloads, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
