#!/usr/bin/env python3
"""Writes the TF2 TensorBoard fixture (tests/fixtures/tensorboard-tf2/) with TensorFlow itself:
`tf.summary` scalars, text, images and histograms, hparams from tensorboard's hparams API, and
a small Keras model trained with the `TensorBoard` callback (train/ and validation/ runs).
Next to the logdir, `expected.json` is what TensorBoard's EventAccumulator reads from it (the
same description as examples/make_tensorboard_fixtures.py makes).

TensorFlow is too heavy to install in CI, so the output is committed; to regenerate it:

    python3 -m venv /tmp/tf2 && /tmp/tf2/bin/pip install tensorflow-cpu==2.21.0
    /tmp/tf2/bin/python examples/make_tf2_fixture.py --out tests/fixtures/tensorboard-tf2

Event file names carry the host name, pid and clock; they are renamed like the other
fixture's. Wall times come from the real clock (TensorFlow stamps them natively).
"""

import argparse
import json
import os
import shutil
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorboard.plugins.hparams import api as hp  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tb_expected import expected  # noqa: E402

PREFIX = "events.out.tfevents."


def write_summaries(logdir):
    """tf.summary in eager mode: every value kind TF2 writes."""
    writer = tf.summary.create_file_writer(os.path.join(logdir, "tf2", "summaries"))
    with writer.as_default():
        hp.hparams_config(
            hparams=[hp.HParam("learning_rate", hp.RealInterval(1e-4, 1e-1)),
                     hp.HParam("optimizer", hp.Discrete(["sgd", "adam"]))],
            metrics=[hp.Metric("train/loss", display_name="Loss", description="lower is better"),
                     hp.Metric("counter")],
        )
        hp.hparams({"learning_rate": 0.01, "optimizer": "sgd", "layers": 3, "augment": True},
                   trial_id="tf2-trial")
        for step in range(40):
            loss = 2.0 / (1 + step)
            if step == 20:
                loss = float("nan")
            tf.summary.scalar("train/loss", loss, step=step)
            tf.summary.scalar("train/lr", tf.constant(0.01 * 0.9 ** step, dtype=tf.float64), step=step)
            tf.summary.scalar("counter", tf.constant(step, dtype=tf.int64), step=step)
            if step % 10 == 9:
                tf.summary.histogram("weights", np.linspace(-1, 1, 64) * (1 + step / 40), step=step)
        tf.summary.text("notes", f"TF2 run, **{40}** steps", step=39)
        image = np.zeros((1, 4, 4, 3), dtype=np.uint8)
        image[0, :, :, 0] = 255
        tf.summary.image("sample", image, step=39)
    writer.close()


def write_keras(logdir):
    """A small Keras fit with the TensorBoard callback (epoch and batch scalars)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 4)).astype("float32")
    y = (x.sum(axis=1) > 0).astype("float32")
    model = tf.keras.Sequential([
        tf.keras.Input(shape=(4,)),
        tf.keras.layers.Dense(8, activation="relu"),
        tf.keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=tf.keras.optimizers.Adam(0.01), loss="binary_crossentropy",
                  metrics=["accuracy"])
    callback = tf.keras.callbacks.TensorBoard(os.path.join(logdir, "keras-fit"),
                                              write_graph=False, profile_batch=0,
                                              update_freq="epoch")
    model.fit(x, y, epochs=8, batch_size=64, validation_split=0.25, verbose=0,
              callbacks=[callback])


def rename(logdir):
    """events.out.tfevents.<time>.<host>.<pid>.<n>.v2 -> ...<time>.runlens-fixtures[.n]."""
    for root, _, files in os.walk(logdir):
        events = sorted(f for f in files if f.startswith(PREFIX))
        for i, name in enumerate(events):
            stamp = name[len(PREFIX):].split(".")[0]
            new = f"{PREFIX}{stamp}.runlens-fixtures" + (f".{i}" if i else "")
            os.rename(os.path.join(root, name), os.path.join(root, new))
        for name in files:
            if not name.startswith(PREFIX):
                os.remove(os.path.join(root, name))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="directory to (re)create")
    args = parser.parse_args()
    if os.path.exists(args.out):
        shutil.rmtree(args.out)
    os.makedirs(args.out)
    with tempfile.TemporaryDirectory() as tmp:
        logdir = os.path.join(tmp, "logdir")
        write_summaries(logdir)
        write_keras(logdir)
        rename(logdir)
        data = expected(logdir)
        data["generator"] = "examples/make_tf2_fixture.py"
        data["tensorflow"] = tf.__version__
        shutil.copytree(logdir, os.path.join(args.out, "logdir"))
    with open(os.path.join(args.out, "expected.json"), "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
