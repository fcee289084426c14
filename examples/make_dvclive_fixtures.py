#!/usr/bin/env python3
"""Writes the DVCLive fixture (tests/fixtures/dvclive/) with the real dvclive and dvc packages.

Usage: make_dvclive_fixtures.py --out DIR

DIR/project/ holds three `Live(dir=...)` folders side by side under runs/, sharing one
dvc.yaml beside runs/ (no git, no DVC repository):

- runs/lr-0.01: nested params, metrics logged with `timestamp=True`, a NaN and an
  infinity, a metric logged every other step, one logged with `plot=False` (only in
  metrics.json), a summary entry, an image and a sklearn confusion matrix;
- runs/lr-0.1: no timestamps, a -inf;
- runs/diverged: a short run whose script wrote `summary["status"] = "failed"`.

DIR/repo/ is a git repository with `dvc init` and one commit (the baseline); three default
`Live()` runs with `exp_name` store DVC experiments as commits under
`refs/exps/<sha[0:2]>/<sha[2:]>/<name>`. `git gc` runs after the second one, so the first
two are in a pack (and packed-refs) and the third is loose. The work tree keeps the last
trial's dvclive/ and dvc.yaml, as DVC leaves it.

DIR/expected.json describes what was logged: per run its params (nested as logged), its
status ("failed" when the script said so, else "unknown"), the artifact paths, and per
metric count, last, min, max and first/last step (a metrics.json value without a TSV is
one point at the run's last step); per experiment also its commit, baseline, commit time
and message. NaN and infinities are written as the strings "NaN", "Infinity", "-Infinity".
Commit ids and times differ between two runs of the script; the description otherwise not.

With --committed the repository is trimmed for committing under tests/fixtures/dvclive/:
git cannot store a nested `.git`, so it becomes `dot-git` (the tests copy the repository
and rename it back); hooks, reflogs, the index and DVC's tmp/ folder are left out.
"""

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def number(x):
    if isinstance(x, float) and math.isnan(x):
        return "NaN"
    if isinstance(x, float) and math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return x


class Logged:
    """What one run logged, to describe it in expected.json."""

    def __init__(self, live, params):
        self.live = live
        self.params = params
        self.points = {}
        self.status = "unknown"
        self.artifacts = []
        # Keys only in metrics.json (no TSV): runlens puts them at the run's last step.
        self.summary_keys = set()
        live.log_params(params)

    def metric(self, key, value, **kwargs):
        self.live.log_metric(key, value, **kwargs)
        self.points.setdefault(key, []).append((self.live.step, float(value)))
        if kwargs.get("plot") is False:
            self.summary_keys.add(key)

    def describe(self, last_step):
        metrics = {}
        for key, points in sorted(self.points.items()):
            if key in self.summary_keys:
                points = [(last_step, v) for _, v in points]
            values = [v for _, v in points]
            finite = [v for v in values if not math.isnan(v)]
            metrics[key] = {
                "count": len(values),
                "last": number(values[-1]),
                "min": number(min(finite)) if finite else "NaN",
                "max": number(max(finite)) if finite else "NaN",
                "steps": [points[0][0], points[-1][0]],
            }
        return {
            "params": self.params,
            "status": self.status,
            "artifacts": sorted(self.artifacts),
            "metrics": metrics,
            "last_step": last_step,
        }


def summary_point(run, key, value):
    """A summary entry: one point at the run's last step in runlens."""
    run.live.summary[key] = value
    run.points[key] = [(run.live.step, float(value))]
    run.summary_keys.add(key)


def png(width, height):
    """A small RGB gradient as PNG bytes (log_image then opens it with Pillow)."""
    import struct
    import zlib

    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 30 % 256, y * 30 % 256, 128)) for x in range(width))
        for y in range(height)
    )

    def chunk(kind, data):
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def side_by_side(project: Path, work: Path):
    from dvclive import Live

    runs = {}
    image = work / "gradient.png"
    image.write_bytes(png(8, 8))
    os.chdir(project)

    for name, lr, timestamps in [("lr-0.01", 0.01, True), ("lr-0.1", 0.1, False)]:
        live = Live(dir=f"runs/{name}", dvcyaml="dvc.yaml", save_dvc_exp=False, report=None)
        params = {
            "lr": lr,
            "batch_size": 32,
            "optimizer": {"name": "adam", "betas": [0.9, 0.999], "eps": 1e-08},
            "model": {"layers": 2, "dropout": 0.1, "activation": "relu"},
            "use_amp": timestamps,
        }
        run = Logged(live, params)
        for step in range(6):
            loss = 1.0 / (1 + step) + lr
            if timestamps and step == 2:
                loss = float("nan")
            run.metric("train/loss", loss, timestamp=timestamps)
            accuracy = 0.5 if math.isnan(loss) else 1.0 - loss / 2
            run.metric("train/accuracy", accuracy, timestamp=timestamps)
            if step % 2 == 1:
                run.metric("val/loss", loss + 0.05, timestamp=timestamps)
            if step == 4:
                run.metric("grad_norm", float("inf") if timestamps else -float("inf"))
            live.next_step()
        # Only in metrics.json: logged without a plot, and a summary entry.
        run.metric("epoch_time", 1.25 + lr, plot=False)
        summary_point(run, "best/val_loss", 0.2 + lr)
        if timestamps:
            live.log_image("samples.png", str(image))
            actual, predicted = [0, 1, 1, 0, 1], [0, 1, 0, 0, 1]
            live.log_sklearn_plot("confusion_matrix", actual, predicted, name="confusion.json")
            run.artifacts += ["plots/images/samples.png", "plots/sklearn/confusion.json"]
        live.end()
        runs[f"runs/{name}"] = run.describe(live.step)

    live = Live(dir="runs/diverged", dvcyaml="dvc.yaml", save_dvc_exp=False, report=None)
    run = Logged(live, {"lr": 1.0, "batch_size": 8, "schedule": {"warmup": {"steps": 0}}})
    for step in range(3):
        run.metric("train/loss", [1.0, 1e6, float("inf")][step])
        live.next_step()
    live.summary["status"] = "failed"
    run.status = "failed"
    live.end()
    runs["runs/diverged"] = run.describe(live.step)
    return runs


def git(repo: Path, *args):
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


def experiments(repo: Path):
    from dvc.repo import Repo
    from dvclive import Live

    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", "runlens fixtures")
    git(repo, "config", "user.email", "fixtures@runlens.invalid")
    git(repo, "config", "commit.gpgsign", "false")
    Repo.init(str(repo))
    (repo / "README.md").write_text("DVC experiments made by make_dvclive_fixtures.py\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "baseline")
    baseline = git(repo, "rev-parse", "HEAD").strip()
    os.chdir(repo)

    logged = {}
    def optimizer(name, momentum):
        return {"name": name, "momentum": momentum}

    trials = [
        ("exp-sgd", {"lr": 0.05, "optimizer": optimizer("sgd", 0.9)}, "sgd with momentum"),
        ("exp-adam", {"lr": 0.001, "optimizer": optimizer("adam", 0.0)}, None),
        ("exp-diverged", {"lr": 5.0, "optimizer": optimizer("sgd", 0.0)}, "lr far too high"),
    ]
    diverging = [2.0, 50.0, float("nan"), float("inf")]
    for i, (name, params, message) in enumerate(trials):
        if i == 2:
            # The first two experiments into a pack and packed-refs; the third stays loose.
            git(repo, "gc", "-q")
        kwargs = {"exp_name": name, "report": None}
        if message is not None:
            kwargs["exp_message"] = message
        with Live(**kwargs) as live:
            run = Logged(live, params)
            for step in range(4):
                if name == "exp-diverged":
                    loss = diverging[step]
                else:
                    loss = params["lr"] * 10 / (1 + step)
                run.metric("loss", loss)
                run.metric("acc", 0.5 + 0.1 * step)
                live.next_step()
            summary_point(run, "best_acc", 0.8)
            if name == "exp-diverged":
                live.summary["status"] = "failed"
                run.status = "failed"
        # end() (leaving the block) resets the step to the last one written.
        logged[name] = (run, live.step, message)

    refs = {}
    listing = git(repo, "for-each-ref", "refs/exps", "--format=%(refname) %(objectname)")
    for line in listing.splitlines():
        ref, sha = line.split()
        parts = ref.split("/")
        if len(parts) == 5 and len(parts[2]) == 2:
            refs[parts[4]] = (ref, sha, parts[2] + parts[3])
    runs = {}
    workspace = {}
    for name, (run, last_step, message) in logged.items():
        ref, sha, exp_baseline = refs[name]
        assert exp_baseline == baseline, (exp_baseline, baseline)
        desc = run.describe(last_step)
        desc["ref"] = ref
        desc["commit"] = sha
        desc["baseline"] = exp_baseline
        desc["time"] = int(git(repo, "show", "-s", "--format=%ct", sha).strip())
        desc["message"] = git(repo, "show", "-s", "--format=%B", sha).strip()
        if message is not None:
            assert desc["message"] == message, (desc["message"], message)
        runs[name] = desc
        # The work tree keeps the last trial's Live folder.
        workspace = {"dvclive": run.describe(last_step)}
    packed_refs = (repo / ".git" / "packed-refs").read_text()
    packed = sorted(name for name, (ref, _, _) in refs.items() if ref in packed_refs)
    loose = sorted(name for name, (ref, _, _) in refs.items() if (repo / ".git" / ref).is_file())
    return runs, workspace, {"packed": packed, "loose": loose}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument(
        "--committed", action="store_true", help="trim the repository for committing"
    )
    args = parser.parse_args()
    out = args.out.resolve()
    os.environ["DVC_NO_ANALYTICS"] = "1"
    out.mkdir(parents=True, exist_ok=True)
    for name in ("project", "repo"):
        if (out / name).exists():
            shutil.rmtree(out / name)
    here = os.getcwd()
    # Written outside any git repository, then moved: inside one (--out under this
    # repository), dvclive would `dvc init` the enclosing repository for the project.
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        project = tmp / "project"
        project.mkdir()
        work = tmp / "work"
        work.mkdir()
        try:
            workspace = side_by_side(project, work)
            exps, repo_workspace, storage = experiments(tmp / "repo")
        finally:
            os.chdir(here)
        for name in ("project", "repo"):
            shutil.move(str(tmp / name), str(out / name))
    expected = {
        "project": {"experiment": "project", "runs": workspace},
        "repo": {
            "experiment": "repo",
            "runs": repo_workspace,
            "experiments": exps,
            "storage": storage,
        },
    }
    (out / "expected.json").write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")
    if args.committed:
        trim_for_commit(out / "repo")


def trim_for_commit(repo: Path):
    git_dir = repo / ".git"
    for name in ("hooks", "logs", "info", "index", "description", "COMMIT_EDITMSG", "ORIG_HEAD"):
        path = git_dir / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    shutil.rmtree(repo / ".dvc" / "tmp", ignore_errors=True)
    git_dir.rename(repo / "dot-git")


if __name__ == "__main__":
    sys.exit(main())
