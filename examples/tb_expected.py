"""What TensorBoard's own EventMultiplexer/EventAccumulator reads from a logdir (no size
limits, tensors included), as the `expected.json` the TensorBoard parity tests compare
runlens with. Shared by make_tensorboard_fixtures.py and make_tf2_fixture.py.
"""

import math

from tensorboard.backend.event_processing import event_accumulator, event_multiplexer
from tensorboard.plugins.hparams import api_pb2, plugin_data_pb2
from tensorboard.util import tensor_util


def number(x):
    """A float for JSON: NaN and the infinities as strings."""
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return x


def summarize(points):
    """count, last, min, max (NaN ignored), first/last step of (step, value) in read order."""
    values = [v for _, v in points]
    finite = [v for v in values if not math.isnan(v)]
    return {
        "count": len(points),
        "last": number(values[-1]),
        "min": number(min(finite)) if finite else "NaN",
        "max": number(max(finite)) if finite else "NaN",
        "steps": [min(s for s, _ in points), max(s for s, _ in points)],
    }


def expected(root):
    """Every run and tag as TensorBoard's EventMultiplexer reads it, no size limits."""
    guidance = {
        event_accumulator.COMPRESSED_HISTOGRAMS: 0,
        event_accumulator.IMAGES: 0,
        event_accumulator.AUDIO: 0,
        event_accumulator.SCALARS: 0,
        event_accumulator.HISTOGRAMS: 0,
        event_accumulator.TENSORS: 0,
    }
    mux = event_multiplexer.EventMultiplexer(size_guidance=guidance)
    mux.AddRunsFromDirectory(root)
    mux.Reload()
    runs = {}
    for name in sorted(mux.Runs()):
        acc = mux.GetAccumulator(name)
        tags = acc.Tags()
        metrics, texts, params, times = {}, {}, {}, [acc.FirstEventTimestamp()]
        images, histograms, metric_defs = {}, {}, {}
        for tag in tags["scalars"]:
            events = acc.Scalars(tag)
            times += [e.wall_time for e in events]
            metrics[tag] = summarize([(e.step, e.value) for e in events])
        for tag in tags["tensors"]:
            events = acc.Tensors(tag)
            times += [e.wall_time for e in events]
            plugin = acc.SummaryMetadata(tag).plugin_data
            arrays = [tensor_util.make_ndarray(e.tensor_proto) for e in events]
            if plugin.plugin_name in ("", "scalars") and all(a.size == 1 and a.dtype.kind in "biuf" for a in arrays):
                metrics[tag] = summarize([(e.step, float(a.item())) for e, a in zip(events, arrays)])
            elif plugin.plugin_name == "text":
                texts[tag] = "\n".join(s.decode("utf-8") for s in arrays[-1].ravel().tolist())
            elif plugin.plugin_name == "histograms":
                # TF2 tf.summary.histogram: [k, 3] rows of left edge, right edge, count.
                last = max(zip(events, arrays), key=lambda ea: ea[0].step)
                histograms[tag] = {"count": len(events), "last_step": last[0].step,
                                   "last_total": float(last[1][:, 2].sum()) if last[1].size else 0.0}
            elif plugin.plugin_name == "images":
                # TF2 tf.summary.image: a string tensor [width, height, image, ...].
                last = max(events, key=lambda e: e.step)
                blobs = list(last.tensor_proto.string_val)[2:]
                if blobs:
                    images[tag] = {"count": len(events), "step": last.step, "size": len(blobs[-1])}
        # tensorboardX writes hparams as metadata without a value: read the plugin content
        # the accumulator keeps per tag.
        status = None
        try:
            hparams_content = acc.PluginTagToContent("hparams")
        except KeyError:
            hparams_content = {}
        for tag, content in sorted(hparams_content.items()):
            data = plugin_data_pb2.HParamsPluginData.FromString(content)
            if data.HasField("experiment"):
                for info in data.experiment.metric_infos:
                    group = info.name.group
                    key = info.name.tag if group in ("", ".") else f"{group}/{info.name.tag}"
                    metric_defs[key] = ": ".join(t for t in (info.display_name, info.description) if t)
            if data.HasField("session_start_info"):
                for key, value in data.session_start_info.hparams.items():
                    kind = value.WhichOneof("kind")
                    params[key] = {
                        "number_value": lambda v: number(v.number_value),
                        "string_value": lambda v: v.string_value,
                        "bool_value": lambda v: v.bool_value,
                    }[kind](value)
            if data.HasField("session_end_info"):
                status = api_pb2.Status.Name(data.session_end_info.status)
        for tag in tags["histograms"]:
            events = acc.Histograms(tag)
            times += [e.wall_time for e in events]
            last = max(events, key=lambda e: e.step)
            histograms[tag] = {"count": len(events), "last_step": last.step,
                               "last_total": float(sum(last.histogram_value.bucket))}
        for tag in tags["images"]:
            events = acc.Images(tag)
            times += [e.wall_time for e in events]
            last = max(events, key=lambda e: e.step)
            images[tag] = {"count": len(events), "step": last.step,
                           "size": len(last.encoded_image_string)}
        runs[name] = {
            "metrics": metrics,
            "texts": texts,
            "images": images,
            "histograms": histograms,
            "metric_definitions": metric_defs,
            "params": params,
            "status": status,
            "start_time": min(times),
            "end_time": max(times),
        }
    return {"generator": "examples/make_tensorboard_fixtures.py", "runs": runs}
