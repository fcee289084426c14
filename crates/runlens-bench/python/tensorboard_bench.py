#!/usr/bin/env python3
"""The peer of the TensorBoard ingest benchmark (`runlens-bench tensorboard`).

    tensorboard_bench.py generate --out DIR [--runs 20 --tags 5 --steps 10000]
        writes a logdir with tensorboardX: RUNS runs of TAGS scalar tags x STEPS steps
    tensorboard_bench.py load DIR [--reader multiplexer|tbparse]
        loads it with TensorBoard's EventMultiplexer (size_guidance 0: every point kept),
        or with tbparse's SummaryReader (a pandas DataFrame of every scalar), and prints
        one JSON line {"points": N, "seconds": S}

Needs tensorboard, tensorboardX and tbparse (examples/requirements.txt).
"""

import argparse
import json
import math
import os
import time


def generate(out, runs, tags, steps):
    from tensorboardX import SummaryWriter

    for r in range(runs):
        with SummaryWriter(os.path.join(out, f"run-{r:03d}"), flush_secs=3600) as w:
            for step in range(steps):
                for t in range(tags):
                    w.add_scalar(f"metric/{t}", math.exp(-step / steps) + 0.01 * r + t, step, walltime=1.7e9 + step)


def load_tbparse(logdir):
    from tbparse import SummaryReader

    start = time.perf_counter()
    frame = SummaryReader(logdir, extra_columns={"dir_name"}).scalars
    points = len(frame)
    seconds = time.perf_counter() - start
    print(json.dumps({"points": points, "seconds": seconds}))


def load(logdir):
    from tensorboard.backend.event_processing import event_accumulator, event_multiplexer

    guidance = {
        event_accumulator.COMPRESSED_HISTOGRAMS: 0,
        event_accumulator.IMAGES: 0,
        event_accumulator.AUDIO: 0,
        event_accumulator.SCALARS: 0,
        event_accumulator.HISTOGRAMS: 0,
        event_accumulator.TENSORS: 0,
    }
    start = time.perf_counter()
    mux = event_multiplexer.EventMultiplexer(size_guidance=guidance)
    mux.AddRunsFromDirectory(logdir)
    mux.Reload()
    points = 0
    for run in mux.Runs():
        acc = mux.GetAccumulator(run)
        for tag in acc.Tags()["scalars"]:
            points += len(acc.Scalars(tag))
    seconds = time.perf_counter() - start
    print(json.dumps({"points": points, "seconds": seconds}))


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate")
    gen.add_argument("--out", required=True)
    gen.add_argument("--runs", type=int, default=20)
    gen.add_argument("--tags", type=int, default=5)
    gen.add_argument("--steps", type=int, default=10000)
    ld = sub.add_parser("load")
    ld.add_argument("logdir")
    ld.add_argument("--reader", choices=["multiplexer", "tbparse"], default="multiplexer")
    args = parser.parse_args()
    if args.command == "generate":
        generate(args.out, args.runs, args.tags, args.steps)
    elif args.reader == "tbparse":
        load_tbparse(args.logdir)
    else:
        load(args.logdir)


if __name__ == "__main__":
    main()
