//! Property tests: any archive survives encode → decode bit for bit (NaN, ±inf included),
//! and damaged bundles give errors, never panics.

use proptest::prelude::*;
use runlens_core::bundle::{self, EncodedBundle};
use runlens_core::{
    Archive, Artifact, ArtifactContent, ArtifactKind, Dataset, Histogram, MetricSeries,
    ModelVersion, ParamValue, RegisteredModel, Run, RunStatus, Warning,
};

fn any_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => -1e6f64..1e6,
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(f64::NEG_INFINITY),
        1 => Just(-0.0),
        1 => any::<u64>().prop_map(f64::from_bits),
    ]
}

fn series() -> impl Strategy<Value = MetricSeries> {
    (1usize..40, any::<bool>()).prop_flat_map(|(n, with_times)| {
        (
            proptest::collection::vec(any::<i64>(), n),
            proptest::collection::vec(any_f64(), n),
            proptest::collection::vec(any_f64(), n),
        )
            .prop_map(move |(mut steps, values, times)| {
                steps.sort();
                MetricSeries {
                    steps,
                    values,
                    times: with_times.then_some(times),
                }
            })
    })
}

/// A float that differs from `x` in a way a fast path must notice: a neighbouring bit
/// pattern, a NaN with a payload, an infinity, -0.0 or an arbitrary pattern.
fn breaking(x: f64) -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(f64::from_bits(x.to_bits().wrapping_add(1))),
        Just(f64::from_bits(x.to_bits().wrapping_sub(1))),
        Just(f64::from_bits(0x7ff8_0000_0000_0000 | 0xdead)),
        Just(f64::from_bits(0xfff0_0000_0000_0001)),
        Just(f64::NEG_INFINITY),
        Just(-0.0),
        Just(x + 0.000_123_456_789),
        any::<u64>().prop_map(f64::from_bits),
    ]
}

/// Overwrites up to three points of `column` with values that break its pattern.
fn break_some(column: Vec<f64>) -> impl Strategy<Value = Vec<f64>> {
    let n = column.len();
    proptest::collection::vec((0..n, any::<prop::sample::Index>()), 0..4).prop_flat_map(
        move |spots| {
            let column = column.clone();
            let breakers: Vec<_> = spots.iter().map(|&(i, _)| breaking(column[i])).collect();
            (Just(column), Just(spots), breakers).prop_map(|(mut column, spots, values)| {
                for ((i, _), v) in spots.into_iter().zip(values) {
                    column[i] = v;
                }
                column
            })
        },
    )
}

/// Series where a fast path almost applies: decimal, f32-exact, smooth or constant values;
/// millisecond, microsecond or whole-second times at a near-constant interval; steps at a
/// constant stride; then a few points that break the pattern.
fn near_miss_series() -> impl Strategy<Value = MetricSeries> {
    (
        2usize..200,
        (0u8..4, 0u32..7, any::<u64>()),
        (0u8..3, 1i64..5_000, 0i64..20),
        (-1_000i64..1_000_000, 0i64..100),
    )
        .prop_flat_map(
            |(n, (value_kind, exponent, seed), (time_kind, interval, jitter), (start, stride))| {
                let mut state = seed | 1;
                let mut next = move || {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state
                };
                let pow = 10f64.powi(exponent as i32);
                let values: Vec<f64> = (0..n)
                    .map(|i| match value_kind {
                        0 => ((next() % 2_000_001) as i64 - 1_000_000) as f64 / pow,
                        1 => f64::from(f32::from_bits(next() as u32 & 0x7f7f_ffff)),
                        2 => 2.0 * (-(i as f64) / 50.0).exp() + (next() % 1000) as f64 * 1e-9,
                        _ => 0.1,
                    })
                    .collect();
                let scale = [1e3, 1e6, 1.0][usize::from(time_kind)];
                let mut tick = 1_700_000_000 * scale as i64;
                let times: Vec<f64> = (0..n)
                    .map(|_| {
                        tick += interval + (next() % (jitter as u64 + 1)) as i64;
                        tick as f64 / scale
                    })
                    .collect();
                let steps: Vec<i64> = (0..n as i64).map(|i| start + i * stride).collect();
                (break_some(values), break_some(times), Just(steps))
            },
        )
        .prop_map(|(values, times, steps)| MetricSeries {
            steps,
            values,
            times: Some(times),
        })
}

fn param() -> impl Strategy<Value = ParamValue> {
    prop_oneof![
        any::<bool>().prop_map(ParamValue::Bool),
        any::<i64>().prop_map(ParamValue::Int),
        any_f64().prop_map(ParamValue::Float),
        ".{0,12}".prop_map(ParamValue::Text),
    ]
}

fn run() -> impl Strategy<Value = Run> {
    (
        ("[a-z0-9]{1,8}", ".{0,16}", "[a-z]{1,6}"),
        (
            proptest::option::of("[a-z]{1,5}"),
            proptest::option::of(".{0,5}"),
        ),
        (
            0u8..5,
            proptest::option::of(any_f64()),
            proptest::option::of(any_f64()),
        ),
        proptest::collection::btree_map("[a-z.]{1,6}", param(), 0..5),
        proptest::collection::btree_map("[a-z.]{1,6}", ".{0,8}", 0..4),
        proptest::collection::btree_map("[a-z/]{1,6}", series(), 0..4),
    )
        .prop_map(
            |(
                (id, name, source),
                (experiment, group),
                (status, start, end),
                params,
                tags,
                metrics,
            )| Run {
                id,
                name,
                source,
                experiment,
                group,
                status: RunStatus::from_code(status).unwrap(),
                start_time: start.filter(|t| !t.is_nan()),
                end_time: end.filter(|t| !t.is_nan()),
                params,
                tags,
                metrics,
                ..Run::default()
            },
        )
}

fn dataset() -> impl Strategy<Value = Dataset> {
    (
        ".{0,8}",
        proptest::option::of("[a-f0-9]{0,8}"),
        proptest::option::of(".{0,12}"),
        proptest::option::of("[a-z]{0,6}"),
    )
        .prop_map(|(name, digest, source, context)| Dataset {
            name,
            digest,
            source,
            context,
        })
}

fn artifact() -> impl Strategy<Value = Artifact> {
    let content = (
        prop_oneof![
            Just(ArtifactKind::Image),
            Just(ArtifactKind::Text),
            Just(ArtifactKind::Json),
            Just(ArtifactKind::Html),
        ],
        "[a-z]{1,5}/[a-z]{1,5}",
        proptest::collection::vec(any::<u8>(), 0..64),
    )
        .prop_map(|(kind, media_type, bytes)| ArtifactContent {
            kind,
            media_type,
            bytes,
        });
    (
        "[a-z/.]{1,12}",
        proptest::option::of(any::<u64>()),
        proptest::option::of(content),
    )
        .prop_map(|(path, size, content)| Artifact {
            path,
            size,
            content,
        })
}

/// Notes, datasets, artifacts and the logged text of some params.
fn with_details(run: Run) -> impl Strategy<Value = Run> {
    let keys: Vec<String> = run.params.keys().cloned().collect();
    (
        proptest::option::of(".{0,40}"),
        proptest::collection::vec(dataset(), 0..3),
        proptest::collection::vec(artifact(), 0..4),
        proptest::collection::vec(proptest::option::of(".{0,6}"), keys.len()),
        proptest::collection::btree_map(
            "[a-z/]{1,6}",
            proptest::collection::vec(
                (any::<i64>(), proptest::collection::vec(-1e3f64..1e3, 0..5)),
                1..4,
            ),
            0..3,
        ),
    )
        .prop_map(move |(notes, datasets, artifacts, texts, histograms)| {
            let mut run = run.clone();
            run.histograms = histograms
                .into_iter()
                .map(|(tag, steps)| {
                    let steps = steps
                        .into_iter()
                        .map(|(step, counts)| Histogram {
                            step,
                            edges: (0..=counts.len()).map(|i| i as f64).collect(),
                            counts,
                        })
                        .collect();
                    (tag, steps)
                })
                .collect();
            run.notes = notes;
            run.datasets = datasets;
            run.artifacts = artifacts;
            run.param_text = keys
                .iter()
                .zip(texts)
                .filter_map(|(k, t)| Some((k.clone(), t?)))
                .collect();
            run
        })
}

fn model() -> impl Strategy<Value = RegisteredModel> {
    let version = (
        "[0-9]{1,3}",
        proptest::option::of("[a-z0-9]{1,8}"),
        proptest::option::of("[A-Za-z]{1,10}"),
        proptest::collection::vec("[a-z]{1,6}", 0..3),
        proptest::option::of(".{0,12}"),
        proptest::option::of(0.0f64..2e9),
    )
        .prop_map(
            |(version, run_id, stage, aliases, description, created)| ModelVersion {
                version,
                run_id,
                stage,
                aliases,
                description,
                created,
                ..ModelVersion::default()
            },
        );
    (
        "[a-z]{1,6}",
        ".{0,10}",
        proptest::option::of(".{0,12}"),
        proptest::collection::btree_map("[a-z]{1,4}", ".{0,4}", 0..3),
        proptest::collection::vec(version, 0..3),
    )
        .prop_map(
            |(source, name, description, tags, versions)| RegisteredModel {
                source,
                name,
                description,
                tags,
                versions,
            },
        )
}

fn archive() -> impl Strategy<Value = Archive> {
    (
        proptest::collection::vec(run().prop_flat_map(with_details), 0..12),
        proptest::collection::vec(proptest::option::of(any::<prop::sample::Index>()), 12),
        proptest::collection::vec(model(), 0..3),
        proptest::collection::vec(
            ("[a-z/.]{1,10}", proptest::option::of(1u64..100), ".{0,20}"),
            0..3,
        ),
    )
        .prop_map(|(mut runs, parents, models, warnings)| {
            // A parent must be a run of the same source and experiment to survive.
            let identities: Vec<_> = runs
                .iter()
                .map(|r| (r.source.clone(), r.experiment.clone(), r.id.clone()))
                .collect();
            for (run, parent) in runs.iter_mut().zip(parents) {
                run.parent_id = parent.and_then(|p| {
                    let (source, experiment, id) = &identities[p.index(identities.len())];
                    (source == &run.source && experiment == &run.experiment).then(|| id.clone())
                });
            }
            let mut archive = Archive {
                runs,
                models,
                warnings: warnings
                    .into_iter()
                    .map(|(path, line, message)| Warning {
                        path,
                        line,
                        message,
                    })
                    .collect(),
            };
            archive.finish();
            archive
        })
}

/// Compares through the serde_json debug form with floats replaced by their bits, since
/// NaN != NaN under `PartialEq`.
fn bits_view(archive: &Archive) -> String {
    let mut value = serde_json::to_value(FloatBits(archive)).unwrap();
    value.as_object_mut().unwrap();
    value.to_string()
}

struct FloatBits<'a>(&'a Archive);

impl serde::Serialize for FloatBits<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Debug formatting prints every float distinctly enough (NaN payloads aside), so use
        // explicit bit patterns for everything float-valued.
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(None)?;
        for (i, run) in self.0.runs.iter().enumerate() {
            let mut run = run.clone();
            let params: Vec<String> = run
                .params
                .iter()
                .map(|(k, v)| match v {
                    ParamValue::Float(f) => format!("{k}=f{:x}", f.to_bits()),
                    other => format!("{k}={other:?}"),
                })
                .collect();
            let metrics: Vec<String> = run
                .metrics
                .iter()
                .map(|(k, s)| {
                    let bits = |v: &[f64]| {
                        v.iter()
                            .map(|x| format!("{:x}", x.to_bits()))
                            .collect::<Vec<_>>()
                            .join(",")
                    };
                    format!(
                        "{k}:{:?}:{}:{:?}",
                        s.steps,
                        bits(&s.values),
                        s.times.as_deref().map(bits)
                    )
                })
                .collect();
            let times = format!(
                "{:?}/{:?}",
                run.start_time.map(f64::to_bits),
                run.end_time.map(f64::to_bits)
            );
            run.params.clear();
            run.metrics.clear();
            run.start_time = None;
            run.end_time = None;
            map.serialize_entry(
                &i.to_string(),
                &(format!("{run:?}"), params, metrics, times),
            )?;
        }
        map.serialize_entry("warnings", &self.0.warnings)?;
        map.serialize_entry("models", &format!("{:?}", self.0.models))?;
        map.end()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn archives_round_trip_bit_for_bit(archive in archive(), chunk_points in 1u64..64) {
        let encoded = bundle::encode(&archive, "t", chunk_points);
        let decoded = bundle::decode(&encoded).unwrap();
        prop_assert_eq!(bits_view(&decoded), bits_view(&archive));
    }

    #[test]
    fn encoding_is_deterministic(archive in archive()) {
        prop_assert_eq!(bundle::encode(&archive, "t", 16), bundle::encode(&archive, "t", 16));
    }

    #[test]
    fn damaged_bundles_error_instead_of_panicking(
        archive in archive(),
        cut in any::<prop::sample::Index>(),
        flip in any::<prop::sample::Index>(),
        mask in 1u8..=255,
    ) {
        let encoded = bundle::encode(&archive, "t", 8);
        let index = &encoded.index;
        // Truncation anywhere.
        let truncated = &index[..cut.index(index.len())];
        prop_assert!(bundle::decode_index(truncated).is_err());
        // A flipped byte: either detected or (in the header's unused bits) harmless.
        let mut flipped = index.clone();
        let at = flip.index(flipped.len());
        flipped[at] ^= mask;
        let _ = bundle::decode_index(&flipped);
        // A chunk swapped for another chunk's bytes is caught by the directory checks.
        if encoded.chunks.len() >= 2 {
            let mut swapped: EncodedBundle = encoded.clone();
            swapped.chunks.swap(0, 1);
            prop_assert!(bundle::decode(&swapped).is_err());
        }
        // A damaged embedded file fails its checksum; a missing detail file is noticed.
        if let Some(first) = encoded.files.iter().position(|f| !f.is_empty()) {
            let mut damaged = encoded.clone();
            damaged.files[first][0] ^= mask;
            prop_assert!(bundle::decode(&damaged).is_err());
        }
        if !encoded.details.is_empty() {
            let mut short = encoded.clone();
            short.details.pop();
            prop_assert!(bundle::decode(&short).is_err());
        }
    }
}

/// An archive of runs whose series come from `series`, each under a few metric keys.
fn archive_of(series: impl Strategy<Value = MetricSeries>) -> impl Strategy<Value = Archive> {
    proptest::collection::vec(proptest::collection::btree_map("[ab]", series, 1..3), 1..8).prop_map(
        |metrics| {
            let mut archive = Archive {
                runs: metrics
                    .into_iter()
                    .enumerate()
                    .map(|(i, metrics)| Run {
                        id: format!("r{i}"),
                        name: format!("r{i}"),
                        source: "jsonl".into(),
                        metrics,
                        ..Run::default()
                    })
                    .collect(),
                ..Archive::default()
            };
            archive.finish();
            archive
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn near_misses_of_the_fast_paths_round_trip(
        archive in archive_of(near_miss_series()),
        chunk_points in 1u64..400,
    ) {
        let encoded = bundle::encode(&archive, "t", chunk_points);
        let decoded = bundle::decode(&encoded).unwrap();
        prop_assert_eq!(bits_view(&decoded), bits_view(&archive));
    }

    #[test]
    fn repeated_series_round_trip(
        base in near_miss_series(),
        cuts in proptest::collection::vec(1usize..200, 1..5),
    ) {
        // Prefixes of one series under several runs: the encoder refers back to earlier ones.
        let series = cuts.iter().map(|&cut| {
            let cut = cut.min(base.len());
            MetricSeries {
                steps: base.steps[..cut].to_vec(),
                values: base.values[..cut].to_vec(),
                times: base.times.as_ref().map(|t| t[..cut].to_vec()),
            }
        });
        let mut archive = Archive {
            runs: series.enumerate().map(|(i, s)| Run {
                id: format!("r{i}"),
                name: format!("r{i}"),
                source: "jsonl".into(),
                metrics: [("m".to_string(), s)].into(),
                ..Run::default()
            }).collect(),
            ..Archive::default()
        };
        archive.finish();
        let encoded = bundle::encode(&archive, "t", 1 << 20);
        let decoded = bundle::decode(&encoded).unwrap();
        prop_assert_eq!(bits_view(&decoded), bits_view(&archive));
    }
}

/// A run's metrics logged together: each takes every `k`-th point of one series (the same
/// steps, equal ones included, and times), some with a few times broken (NaN payloads,
/// -0.0, neighbouring bit patterns), so their clock holds what they share and the chunks'
/// times read it with exceptions.
fn clocked_metrics() -> impl Strategy<Value = Vec<MetricSeries>> {
    (
        near_miss_series(),
        proptest::collection::vec((1usize..4, any::<bool>()), 1..4),
    )
        .prop_flat_map(|(base, picks)| {
            picks
                .into_iter()
                .map(|(every, broken)| {
                    let at: Vec<usize> = (0..base.len()).step_by(every).collect();
                    let series = MetricSeries {
                        steps: at.iter().map(|&i| base.steps[i]).collect(),
                        values: at.iter().map(|&i| base.values[i]).collect(),
                        times: None,
                    };
                    let times: Vec<f64> = at
                        .iter()
                        .map(|&i| base.times.as_ref().expect("near misses have times")[i])
                        .collect();
                    let times = if broken {
                        break_some(times).boxed()
                    } else {
                        Just(times).boxed()
                    };
                    (Just(series), times)
                })
                .collect::<Vec<_>>()
        })
        .prop_map(|metrics| {
            metrics
                .into_iter()
                .map(|(mut series, times)| {
                    series.times = Some(times);
                    series
                })
                .collect()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn metrics_sharing_their_times_round_trip_through_clocks(
        runs in proptest::collection::vec(clocked_metrics(), 1..6),
        chunk_points in 1u64..400,
    ) {
        let mut archive = Archive {
            runs: runs.into_iter().enumerate().map(|(i, metrics)| Run {
                id: format!("r{i}"),
                name: format!("r{i}"),
                source: "jsonl".into(),
                metrics: metrics
                    .into_iter()
                    .enumerate()
                    .map(|(k, s)| (format!("m{k}"), s))
                    .collect(),
                ..Run::default()
            }).collect(),
            ..Archive::default()
        };
        archive.finish();
        let encoded = bundle::encode(&archive, "t", chunk_points);
        let decoded = bundle::decode(&encoded).unwrap();
        prop_assert_eq!(bits_view(&decoded), bits_view(&archive));
        // A missing clock file is an error, not other times.
        if !encoded.clocks.is_empty() {
            let mut short = encoded.clone();
            short.clocks.pop();
            prop_assert!(bundle::decode(&short).is_err());
        }
    }
}

#[test]
fn a_sweep_logged_together_stores_its_times_once() {
    // Four runs logging three metrics at the same 2,000 steps and moments: the times are
    // in the clock files, and the chunks hold no times residuals.
    let mut archive = Archive::default();
    for r in 0..4u32 {
        let mut run = Run {
            id: format!("r{r}"),
            name: format!("r{r}"),
            source: "jsonl".into(),
            ..Run::default()
        };
        for key in ["a", "b", "c"] {
            let mut series = MetricSeries::default();
            for step in 0..2_000i64 {
                let ms = 1_700_000_000_000 + i64::from(r) * 3_600_000 + step * 217 + step % 13;
                series.push(step, (step as f64 * 0.01).sin(), Some(ms as f64 / 1e3));
            }
            run.metrics.insert(key.into(), series);
        }
        archive.runs.push(run);
    }
    archive.finish();
    let encoded = bundle::encode(&archive, "t", 1 << 20);
    let table = bundle::decode_index(&encoded.index).unwrap();
    assert_eq!(table.clocks.len(), 1);
    assert_eq!(table.clocks[0].runs, [0, 1, 2, 3]);
    assert_eq!(table.clocks[0].points, 8_000);
    for chunk in &table.chunks {
        assert_eq!(chunk.clocks, [0]);
        let parts =
            bundle::chunk_parts(bundle::FileKind::Chunk, &encoded.chunks[chunk.id as usize])
                .unwrap();
        assert_eq!(
            parts.blocks[1..4],
            [0, 0, 0],
            "no times residuals in the chunk"
        );
    }
    let decoded = bundle::decode(&encoded).unwrap();
    assert_eq!(bits_view(&decoded), bits_view(&archive));
    // A directory naming a clock file it lacks, or a clock file's rows out of order, is
    // refused.
    let mut bad = table.clone();
    bad.chunks[0].clocks = vec![1];
    assert!(bad.validate().is_err());
    let mut bad = table.clone();
    bad.clocks[0].runs = vec![1, 0, 2, 3];
    assert!(bad.validate().is_err());
    let mut bad = table;
    bad.clocks[0].runs.push(4);
    assert!(bad.validate().is_err(), "a row beyond the table");
}

#[test]
fn nan_and_infinities_survive_with_their_summaries() {
    let mut run = Run {
        id: "r".into(),
        name: "r".into(),
        source: "jsonl".into(),
        ..Run::default()
    };
    let mut loss = MetricSeries::default();
    for (step, v) in [
        (0, 1.0),
        (1, f64::NAN),
        (2, f64::INFINITY),
        (3, f64::NEG_INFINITY),
    ] {
        loss.push(step, v, Some(1_700_000_000.5 + step as f64));
    }
    run.metrics.insert("loss".into(), loss);
    let mut archive = Archive {
        runs: vec![run],
        ..Archive::default()
    };
    archive.finish();
    let encoded = bundle::encode(&archive, "t", 1024);
    let table = bundle::decode_index(&encoded.index).unwrap();
    let summary = table.metrics[0].summary(0).unwrap();
    assert_eq!(summary.count, 4);
    assert_eq!(summary.last, f64::NEG_INFINITY);
    assert_eq!(
        (summary.min, summary.max),
        (f64::NEG_INFINITY, f64::INFINITY)
    );
    let decoded = bundle::decode(&encoded).unwrap();
    let values = &decoded.runs[0].metrics["loss"].values;
    assert_eq!(values[0], 1.0);
    assert!(values[1].is_nan());
    assert_eq!(&values[2..], &[f64::INFINITY, f64::NEG_INFINITY]);
}
