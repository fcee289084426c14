#!/usr/bin/env python3
"""Write W&B offline runs with the real `wandb` package and what they contain.

    python examples/make_wandb_fixtures.py --out tests/fixtures/wandb

writes OUT/wandb/ (what `wandb.init` makes under WANDB_DIR=OUT with WANDB_MODE=offline: one
`offline-run-*` folder per run and the `latest-run` symlink) and OUT/expected.json.

Five runs: `baseline` (nested config, group, tags, notes, job type, git remote and commit,
nested-dict metrics, an explicit summary value), `diverged` (+inf, NaN and -inf values),
`crashed` (raises inside the run: exit code 1), `images` (tiny `wandb.Image`s under two keys
at three steps, console capture into `files/output.log`, a file written into the run folder
and saved with `wandb.save`) and `stepped` (one metric logged with an explicit step, then
one without).

wandb 0.31 ships no reader for `.wandb` files (the Python `DataStore` is gone; wandb-core
reads them in Go). expected.json is therefore made by decoding the files written here with
wandb's own protobuf classes (`wandb.proto.wandb_internal_pb2.Record`) and Python's `json`
(which reads bare NaN/Infinity), after an independent LevelDB-log reader below that checks
every chunk's CRC-32. Per run it lists the identity fields, the flattened config (without
`_wandb`), the exit status, per metric count, last, min, max and first/last step, and the
artifacts: the last media file of each key (path, size and sha256 as W&B recorded them in
the history row, checked here against the file) and every other file in the run's `files/`
(size and sha256 of the file).

To keep the fixtures small and free of host details, machine info, system stats, code and
requirements capture are turned off (console capture too, except in `images`), and the run
folders' `logs/` and `tmp/` and the top-level debug logs (which hold absolute paths) are
deleted after the runs finish.
"""

import argparse
import hashlib
import json
import math
import os
import shutil
import struct
import zlib
from pathlib import Path

BLOCK = 32 * 1024
HEADER = b":W&B" + struct.pack("<HB", 0xBEE1, 0)


def write_runs(out: Path) -> None:
    os.environ["WANDB_MODE"] = "offline"
    os.environ["WANDB_SILENT"] = "true"
    os.environ["WANDB_DIR"] = str(out)
    os.environ["WANDB_CONSOLE"] = "off"
    import wandb

    def settings(**extra):
        return wandb.Settings(
            x_disable_meta=True,
            x_disable_stats=True,
            x_disable_machine_info=True,
            disable_code=True,
            save_code=False,
            disable_git=True,
            disable_job_creation=True,
            x_save_requirements=False,
            **extra,
        )

    common = dict(project="runlens-fixtures", group="grid-v1", job_type="train")

    run = wandb.init(
        id="base0001",
        name="baseline",
        tags=["baseline", "cnn"],
        notes="first try, plain SGD",
        config={
            "lr": 0.01,
            "epochs": 3,
            "use_amp": True,
            "arch": "cnn",
            "optimizer": {"name": "sgd", "momentum": 0.9, "betas": [0.9, 0.999]},
        },
        settings=settings(git_remote_url="https://example.invalid/team/model.git",
                          git_commit="3e7a1c9d0b5f4a2e8c6d1f0a9b8c7d6e5f4a3b2c"),
        **common,
    )
    for i in range(100):
        run.log({"train/loss": 2.0 / (i + 1), "val": {"acc": i / 100, "loss": 1.0 - i / 200}})
    run.summary["best_acc"] = 0.975
    run.finish()

    run = wandb.init(id="dive0002", name="diverged", config={"lr": 10.0, "epochs": 3}, settings=settings(), **common)
    values = [1.0, 3.5, 1e12, math.inf, math.nan, math.nan]
    for i, v in enumerate(values):
        run.log({"loss": v, "grad_norm": -math.inf if i >= 3 else float(i), "note": "step %d" % i})
    run.finish()

    try:
        with wandb.init(id="crsh0003", name="crashed", config={"lr": 0.1, "epochs": 3}, settings=settings(), **common) as run:
            for i in range(12):
                run.log({"loss": 1.0 / (i + 1)})
            raise RuntimeError("simulated failure")
    except RuntimeError:
        pass

    import numpy as np

    run = wandb.init(id="imgs0005", name="images", config={"lr": 0.02}, settings=settings(console="wrap"), **common)
    for i in range(3):
        pixels = np.zeros((4, 6, 3), dtype=np.uint8)
        pixels[..., 0] = 60 * i
        pixels[1, :, 1] = 255
        run.log({
            "samples": wandb.Image(pixels, caption=f"step {i}"),
            "pred/mask": wandb.Image(pixels[:, :, 0]),
            "loss": 1.0 / (i + 1),
        })
    summary_file = os.path.join(run.dir, "model-summary.txt")
    with open(summary_file, "w") as f:
        f.write("conv(3->8) relu linear(8->2)\n")
    run.save(summary_file, base_path=run.dir, policy="now")
    print("trained 3 steps")
    run.finish()

    run = wandb.init(id="step0004", name="stepped", config={"lr": 0.05, "batch": 64}, settings=settings(), **common)
    for i in range(10):
        run.log({"eval/acc": 0.5 + i / 100}, step=i * 5)
    for i in range(5):
        run.log({"train/loss": 1.0 / (i + 1)})
    run.finish()


def records(path: Path):
    """Yield the records of a .wandb file; every chunk's CRC is checked."""
    data = path.read_bytes()
    assert data[:7] == HEADER, f"{path}: not a W&B file"
    pos, pending = 7, b""
    while pos < len(data):
        left = BLOCK - pos % BLOCK
        if left < 7:
            pos += left
            continue
        crc, length, kind = struct.unpack("<IHB", data[pos:pos + 7])
        chunk = data[pos + 7:pos + 7 + length]
        assert zlib.crc32(chunk, zlib.crc32(bytes([kind]))) == crc, f"{path}: bad CRC at {pos}"
        pos += 7 + length
        if kind == 1:
            yield chunk
        elif kind == 2:
            pending = chunk
        elif kind == 3:
            pending += chunk
        elif kind == 4:
            yield pending + chunk
            pending = b""
        else:
            raise AssertionError(f"{path}: chunk type {kind} at {pos}")


def key_of(item) -> str:
    return item.key if item.key else "/".join(item.nested_key)


def flatten(prefix, value, out):
    if isinstance(value, dict) and value:
        for k, v in value.items():
            flatten(f"{prefix}.{k}" if prefix else k, v, out)
    else:
        out[prefix] = value


def number(x):
    if isinstance(x, float) and math.isnan(x):
        return "NaN"
    if isinstance(x, float) and math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return x


def is_metric_value(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def objects(items) -> set:
    """Keys of W&B objects sent one field per item (`nested_key = [key, "_type"]`)."""
    return {i.nested_key[0] for i in items if len(i.nested_key) == 2 and i.nested_key[1] == "_type"}


def plain_items(items):
    """The items that are values, not fields of a W&B object (an image's size, width...)."""
    typed = objects(items)
    return [i for i in items if not (len(i.nested_key) >= 2 and i.nested_key[0] in typed)]


def media_files(items) -> dict:
    """Media files of one row: key -> {path, size, sha256} for `_type` ending in `-file`."""
    found = {}
    for key in objects(items):
        fields = {i.nested_key[1]: json.loads(i.value_json) for i in items
                  if len(i.nested_key) == 2 and i.nested_key[0] == key}
        if str(fields.get("_type", "")).endswith("-file") and "path" in fields:
            found[key] = {"path": fields["path"], "size": fields["size"], "sha256": fields["sha256"]}
    return found


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def expected_artifacts(run_dir: Path, media: dict) -> dict:
    """The last media file of each key, then every other file in files/ (not media/)."""
    files = run_dir / "files"
    artifacts = {}
    for key, m in sorted(media.items()):
        on_disk = files / m["path"]
        assert on_disk.stat().st_size == m["size"], f"{on_disk}: size differs from W&B's record"
        assert sha256(on_disk) == m["sha256"], f"{on_disk}: sha256 differs from W&B's record"
        artifacts[m["path"]] = {"key": key, "size": m["size"], "sha256": m["sha256"]}
    if files.is_dir():
        for file in sorted(files.rglob("*")):
            rel = file.relative_to(files).as_posix()
            if file.is_file() and not rel.startswith("media/"):
                artifacts[rel] = {"size": file.stat().st_size, "sha256": sha256(file)}
    return artifacts


def expected_run(path: Path) -> dict:
    from wandb.proto import wandb_internal_pb2 as pb

    run, config, rows, summary, exit_code = None, {}, [], {}, None
    media = {}
    for data in records(path):
        record = pb.Record()
        record.ParseFromString(data)
        kind = record.WhichOneof("record_type")
        if kind == "run":
            run = record.run
            for item in run.config.update:
                config[key_of(item)] = json.loads(item.value_json)
        elif kind == "config":
            for item in record.config.update:
                config[key_of(item)] = json.loads(item.value_json)
            for item in record.config.remove:
                config.pop(key_of(item), None)
        elif kind == "history":
            row = {key_of(i): json.loads(i.value_json) for i in plain_items(record.history.item)}
            rows.append(row)
            for key, m in media_files(record.history.item).items():
                if key not in media or media[key][0] <= row["_step"]:
                    media[key] = (row["_step"], m)
        elif kind == "summary":
            for item in plain_items(record.summary.update):
                summary[key_of(item)] = json.loads(item.value_json)
            for item in record.summary.remove:
                summary.pop(key_of(item), None)
        elif kind == "exit":
            exit_code = record.exit.exit_code
    config.pop("_wandb", None)
    params = {}
    flatten("", config, params)
    series = {}
    for row in sorted(rows, key=lambda r: r["_step"]):
        for key, value in row.items():
            if key.startswith("_") or not is_metric_value(value):
                continue
            series.setdefault(key, []).append((row["_step"], float(value)))
    for key, value in summary.items():
        if key not in series and not key.startswith("_") and is_metric_value(value):
            series[key] = [(0, float(value))]
    metrics = {}
    for key, points in sorted(series.items()):
        values = [v for _, v in points]
        finite = [v for v in values if not math.isnan(v)]
        metrics[key] = {
            "count": len(points),
            "last": number(values[-1]),
            "min": number(min(finite)) if finite else "NaN",
            "max": number(max(finite)) if finite else "NaN",
            "steps": [points[0][0], points[-1][0]],
        }
    status = "running" if exit_code is None else ("finished" if exit_code == 0 else "failed")
    return {
        "name": run.display_name,
        "project": run.project,
        "group": run.run_group,
        "job_type": run.job_type,
        "tags": list(run.tags),
        "notes": run.notes,
        "git": {"remote_url": run.git.remote_url, "commit": run.git.commit},
        "start_time": run.start_time.seconds + run.start_time.nanos / 1e9,
        "status": status,
        "params": {k: number(v) for k, v in sorted(params.items())},
        "metrics": metrics,
        "artifacts": expected_artifacts(path.parent, {k: m for k, (_, m) in media.items()}),
    }


def prune(wandb_dir: Path) -> None:
    for entry in wandb_dir.iterdir():
        if entry.is_symlink() or entry.is_file():
            if entry.name != "latest-run":
                entry.unlink()
            continue
        for sub in ("logs", "tmp"):
            shutil.rmtree(entry / sub, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    out = args.out.resolve()
    shutil.rmtree(out / "wandb", ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    write_runs(out)
    wandb_dir = out / "wandb"
    prune(wandb_dir)
    runs = {}
    for folder in sorted(p for p in wandb_dir.iterdir() if p.is_dir() and not p.is_symlink()):
        for file in sorted(folder.glob("run-*.wandb")):
            runs[file.stem[len("run-"):]] = expected_run(file)
    expected = {"wandb": "0.31.0", "decoded_with": "wandb.proto.wandb_internal_pb2.Record", "runs": runs}
    (out / "expected.json").write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
