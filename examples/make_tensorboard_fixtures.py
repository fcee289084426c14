#!/usr/bin/env python3
"""Writes the TensorBoard fixture logdir (tests/fixtures/tensorboard/) with the real
`tensorboardX` and `tensorboard` packages, and next to it `expected.json`: every run and
tag as TensorBoard's own EventMultiplexer/EventAccumulator reads them (no size limits,
tensors included), for the parity test in crates/runlens-ingest/tests/tensorboard.rs.

    python examples/make_tensorboard_fixtures.py --out tests/fixtures/tensorboard

Needs the pinned packages of examples/requirements.txt (no TensorFlow, no torch). Runs:

  tbx/basic                 tensorboardX add_scalar (simple_value): loss with +inf and NaN,
                            acc, lr; plus add_text, add_histogram, add_image (not scalars)
  tbx/restart               tensorboardX, two event files (a crash at step 179 and a resume
                            from step 150), as a restarted job leaves them
  tbx/sweep                 tensorboardX scalars, and add_hparams(name="hparams"), which
  tbx/sweep/hparams         writes the hparams and the final metric into a sub-run
  keras/train               TF2/Keras encoding written with tensorboard's own writer and
  keras/validation          protos: rank-0 DT_FLOAT tensors with tensor_content and the
                            "scalars" plugin on every event; hparams (summary_v2.hparams_pb)
                            and a rank-0 DT_STRING text summary in train
  encodings                 every other scalar encoding: float_val (tensor_util), double_val,
                            half_val, int_val, int64_val, tensor_content float64 / float16 /
                            int64, and plugin "scalars" metadata only on the first event

Event file names carry the writer's host name, pid and clock; they are renamed to
`events.out.tfevents.<first wall time>.runlens-fixtures[.<n>]` so the output does not depend
on the machine. Wall times are fixed (the writers' clock is pinned for the events they stamp
themselves), so regenerating gives the same values.
"""

import argparse
import json
import math
import os
import shutil
import struct
import tempfile
import time

import numpy as np
from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2
from tensorboard.compat.proto import types_pb2
from tensorboard.plugins.hparams import summary_v2 as hparams_v2
from tensorboard.plugins.scalar import metadata as scalar_metadata
from tensorboard.plugins.text import metadata as text_metadata
from tensorboard.summary.writer.event_file_writer import EventFileWriter
from tensorboard.util import tensor_util
from tensorboardX import SummaryWriter

from tb_expected import expected

BASE = 1_700_000_000.0
PREFIX = "events.out.tfevents."

# The writers stamp their first event (file_version) and add_hparams' events with the
# clock; a pinned clock keeps those wall times, and so expected.json, reproducible.
CLOCK = [BASE]
time.time = lambda: CLOCK[0]


def rename_new_files(run_dir, before, wall_time):
    """Gives the event files written since `before` a machine-independent name."""
    new = sorted(f for f in os.listdir(run_dir) if f.startswith(PREFIX) and f not in before)
    for i, name in enumerate(new):
        suffix = "" if len(new) == 1 else f".{i}"
        target = f"{PREFIX}{int(wall_time):010d}.runlens-fixtures{suffix}"
        os.rename(os.path.join(run_dir, name), os.path.join(run_dir, target))


def event_files(run_dir):
    if not os.path.isdir(run_dir):
        return set()
    return {f for f in os.listdir(run_dir) if f.startswith(PREFIX)}


def loss_at(step, scale=1.0):
    return scale * (2.0 * math.exp(-step / 80.0) + 0.05 * math.sin(step / 3.0))


def write_tbx_basic(root):
    run = os.path.join(root, "tbx", "basic")
    t0 = BASE
    CLOCK[0] = t0 - 0.5
    with SummaryWriter(run) as w:
        for step in range(300):
            t = t0 + step
            loss = loss_at(step)
            if step == 100:
                loss = float("inf")
            elif step in (150, 151):
                loss = float("nan")
            w.add_scalar("train/loss", loss, step, walltime=t)
            w.add_scalar("train/acc", 1.0 - loss_at(step, 0.4), step, walltime=t)
            if step % 10 == 0:
                w.add_scalar("lr", 0.1 * 0.97 ** (step // 10), step, walltime=t)
            if step % 100 == 0:
                w.add_histogram("weights", np.linspace(-1, 1, 50) * (1 + step / 300), step, walltime=t)
                w.add_text("notes", f"step **{step}**: all fine", step, walltime=t)
        w.add_image("sample", np.full((3, 4, 4), 0.5, dtype=np.float32), 299, walltime=t0 + 299)
    rename_new_files(run, set(), t0)


def write_tbx_restart(root):
    run = os.path.join(root, "tbx", "restart")
    first, second = BASE + 1000, BASE + 2000
    CLOCK[0] = first - 0.5
    with SummaryWriter(run) as w:
        for step in range(180):
            w.add_scalar("loss", loss_at(step), step, walltime=first + step)
    rename_new_files(run, set(), first)
    before = event_files(run)
    CLOCK[0] = second - 0.5
    with SummaryWriter(run) as w:
        for step in range(150, 260):
            w.add_scalar("loss", loss_at(step, 0.9), step, walltime=second + step)
            w.add_scalar("grad_norm", 1.0 / (1 + step), step, walltime=second + step)
    rename_new_files(run, before, second)


def write_tbx_sweep(root):
    run = os.path.join(root, "tbx", "sweep")
    t0 = BASE + 3000
    CLOCK[0] = t0 - 0.5
    with SummaryWriter(run) as w:
        for step in range(200):
            w.add_scalar("val/loss", loss_at(step, 1.2), step, walltime=t0 + step)
        CLOCK[0] = t0 + 200
        w.add_hparams(
            {"lr": 0.003, "batch_size": 64, "optimizer": "adamw", "augment": True},
            {"hparam/final_loss": loss_at(199, 1.2)},
            name="hparams",
            global_step=199,
        )
    rename_new_files(run, set(), t0)
    rename_new_files(os.path.join(run, "hparams"), set(), t0 + 200)


def scalars_metadata():
    return scalar_metadata.create_summary_metadata(display_name="", description="")


def tensor_value(tag, tensor, metadata=None):
    value = summary_pb2.Summary.Value(tag=tag, tensor=tensor)
    if metadata is not None:
        value.metadata.CopyFrom(metadata)
    return value


def rank0(dtype, content):
    return tensor_pb2.TensorProto(
        dtype=dtype, tensor_shape=tensor_shape_pb2.TensorShapeProto(), tensor_content=content
    )


def write_events(run_dir, events, wall_time):
    os.makedirs(run_dir, exist_ok=True)
    before = event_files(run_dir)
    CLOCK[0] = wall_time - 0.5
    writer = EventFileWriter(run_dir)
    for event in events:
        writer.add_event(event)
    writer.close()
    rename_new_files(run_dir, before, wall_time)


def write_keras(root):
    t0 = BASE + 5000
    train, validation = [], []
    hp = hparams_v2.hparams_pb(
        {"learning_rate": 0.001, "units": 128, "optimizer": "adam", "dropout": 0.25, "batchnorm": False},
        trial_id="trial-7",
        start_time_secs=t0,
    )
    train.append(event_pb2.Event(wall_time=t0, step=0, summary=hp))
    iterations = 0
    for epoch in range(60):
        t = t0 + 10 * (epoch + 1)
        iterations += 25
        loss = loss_at(epoch * 5)
        acc = 1.0 - loss_at(epoch * 5, 0.4)
        values = [
            tensor_value("epoch_loss", rank0(types_pb2.DT_FLOAT, struct.pack("<f", loss)), scalars_metadata()),
            tensor_value("epoch_accuracy", rank0(types_pb2.DT_FLOAT, struct.pack("<f", acc)), scalars_metadata()),
        ]
        train.append(event_pb2.Event(wall_time=t, step=epoch, summary=summary_pb2.Summary(value=values)))
        vloss = float("nan") if epoch == 59 else loss * 1.1
        values = [
            tensor_value("epoch_loss", rank0(types_pb2.DT_FLOAT, struct.pack("<f", vloss)), scalars_metadata()),
            tensor_value("epoch_accuracy", rank0(types_pb2.DT_FLOAT, struct.pack("<f", acc * 0.95)), scalars_metadata()),
        ]
        validation.append(event_pb2.Event(wall_time=t + 1, step=epoch, summary=summary_pb2.Summary(value=values)))
        values = [
            tensor_value(
                "evaluation_loss_vs_iterations",
                rank0(types_pb2.DT_FLOAT, struct.pack("<f", vloss)),
                scalars_metadata(),
            )
        ]
        validation.append(event_pb2.Event(wall_time=t + 2, step=iterations, summary=summary_pb2.Summary(value=values)))
    text = tensor_pb2.TensorProto(
        dtype=types_pb2.DT_STRING,
        tensor_shape=tensor_shape_pb2.TensorShapeProto(),
        string_val=[b"model: 2-layer MLP, 128 units"],
    )
    meta = text_metadata.create_summary_metadata(display_name="", description="")
    train.append(
        event_pb2.Event(wall_time=t0 + 700, step=0, summary=summary_pb2.Summary(value=[tensor_value("model_card", text, meta)]))
    )
    write_events(os.path.join(root, "keras", "train"), train, t0)
    write_events(os.path.join(root, "keras", "validation"), validation, t0 + 11)


def write_encodings(root):
    t0 = BASE + 8000
    events = []
    for step in range(100):
        x = loss_at(step)
        special = {40: float("inf"), 41: float("-inf"), 42: float("nan")}.get(step)
        f = x if special is None else special
        first = step == 0
        meta = scalars_metadata() if first else None
        values = [
            # tensorboard's own make_tensor_proto: float_val for a float32 scalar.
            tensor_value("enc/float_val", tensor_util.make_tensor_proto(np.float32(f)), meta),
            tensor_value("enc/double_val", tensor_util.make_tensor_proto(np.float64(f)), meta),
            tensor_value("enc/half_val", tensor_util.make_tensor_proto(np.float16(f)), meta),
            tensor_value("enc/int_val", tensor_util.make_tensor_proto(np.int32(step * 3 - 50)), meta),
            tensor_value("enc/int64_val", tensor_util.make_tensor_proto(np.int64(step * 10**10)), meta),
            tensor_value("enc/content_f64", rank0(types_pb2.DT_DOUBLE, struct.pack("<d", f)), meta),
            tensor_value("enc/content_f16", rank0(types_pb2.DT_HALF, np.float16(f).tobytes()), meta),
            tensor_value("enc/content_i64", rank0(types_pb2.DT_INT64, struct.pack("<q", -step)), meta),
        ]
        events.append(event_pb2.Event(wall_time=t0 + step, step=step, summary=summary_pb2.Summary(value=values)))
    write_events(os.path.join(root, "encodings"), events, t0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="directory to (re)create")
    args = parser.parse_args()
    if os.path.exists(args.out):
        shutil.rmtree(args.out)
    os.makedirs(args.out)
    with tempfile.TemporaryDirectory() as tmp:
        logdir = os.path.join(tmp, "logdir")
        write_tbx_basic(logdir)
        write_tbx_restart(logdir)
        write_tbx_sweep(logdir)
        write_keras(logdir)
        write_encodings(logdir)
        data = expected(logdir)
        shutil.copytree(logdir, os.path.join(args.out, "logdir"))
    with open(os.path.join(args.out, "expected.json"), "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
