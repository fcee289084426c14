//! The scale suite's synthetic runs: 20 params of four types, 10 metrics (five logged every
//! step, five validation metrics every [`VAL_EVERY`] steps), a log-uniform step count per
//! run, noisy exponential-decay losses, a cosine learning-rate schedule shared by every run
//! with the same `lr` and length, wall times in milliseconds with jitter, and one run in
//! [`DIVERGE_EVERY`] diverging (+inf then NaN losses, -inf log gradient norms).
//!
//! Each run is made from its own seed, so the three writers get the same runs one at a
//! time and nothing holds the whole archive.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};
use runlens_core::ParamValue;

/// Validation metrics are logged every this many steps (and at step 0).
pub const VAL_EVERY: i64 = 10;
/// One run in this many diverges.
pub const DIVERGE_EVERY: usize = 50;

/// The metric keys; a point's `key` indexes this list. The first five are logged every step.
pub const KEYS: [&str; 10] = [
    "train/loss",
    "train/acc",
    "train/lr",
    "train/log_grad_norm",
    "train/throughput",
    "val/loss",
    "val/acc",
    "val/top5",
    "val/f1",
    "val/perplexity",
];

/// The shape of an archive: how many runs, and the range their step counts are drawn from
/// (log-uniform, both ends included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Runs in the archive.
    pub runs: usize,
    /// Fewest steps of a run.
    pub min_steps: i64,
    /// Most steps of a run.
    pub max_steps: i64,
}

impl Shape {
    /// The default shape for `runs` runs: steps log-uniform in 100–10,000 up to 1k runs,
    /// 100–1,000 up to 10k, 100–200 beyond, so 100k runs stay under ~100M points.
    pub fn for_runs(runs: usize) -> Shape {
        let max_steps = match runs {
            0..=1_000 => 10_000,
            1_001..=10_000 => 1_000,
            _ => 200,
        };
        Shape {
            runs,
            min_steps: 100,
            max_steps,
        }
    }

    /// The expected number of points: 5 per step plus 5 per validation step, for the mean
    /// of the log-uniform step count.
    pub fn expected_points(&self) -> f64 {
        let (a, b) = (self.min_steps as f64, self.max_steps as f64 + 1.0);
        let mean = if b - a < 1.5 {
            a
        } else {
            (b - a) / (b / a).ln()
        };
        self.runs as f64 * (5.0 * mean + 5.0 * (mean / VAL_EVERY as f64).ceil())
    }
}

/// One metric point, in logging order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Index into [`KEYS`].
    pub key: u8,
    /// The step.
    pub step: i64,
    /// Wall time in milliseconds since the Unix epoch.
    pub time_ms: i64,
    /// The value; NaN and ±inf occur.
    pub value: f64,
}

/// One generated run.
#[derive(Debug, Clone)]
pub struct GenRun {
    /// 32 hex digits, like an MLflow run id.
    pub id: String,
    /// The run's display name.
    pub name: String,
    /// `FINISHED`, `FAILED` or `KILLED` (MLflow's spelling; the JSONL writer lowercases).
    pub status: &'static str,
    /// Start and end, milliseconds since the epoch.
    pub start_ms: i64,
    /// The time of the last point.
    pub end_ms: i64,
    /// Steps of the run's per-step metrics (0..steps).
    pub steps: i64,
    /// 20 params: floats, ints, strings and booleans.
    pub params: Vec<(&'static str, ParamValue)>,
    /// The points, step by step; within a step in [`KEYS`] order.
    pub points: Vec<Point>,
}

/// Run `index` of an archive of `shape` made from `seed`.
pub fn run(shape: &Shape, seed: u64, index: usize) -> GenRun {
    let mut rng =
        SmallRng::seed_from_u64(seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let noise = Normal::new(0.0, 1.0).expect("valid normal");
    let (lo, hi) = (shape.min_steps as f64, shape.max_steps as f64 + 1.0);
    let steps = ((lo.ln() + rng.random::<f64>() * (hi / lo).ln())
        .exp()
        .floor() as i64)
        .clamp(shape.min_steps, shape.max_steps);
    let lr = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2][index % 5];
    let batch = [32i64, 64, 128, 256][(index / 5) % 4];
    let diverges = index % DIVERGE_EVERY == 7;
    let status = if diverges {
        "FAILED"
    } else if index % 97 == 3 {
        "KILLED"
    } else {
        "FINISHED"
    };
    let params = params(&mut rng, index, lr, batch);
    let start_ms = 1_700_000_000_000 + index as i64 * 60_000 + rng.random_range(0..1_000);
    let rate = 2.0 + rng.random::<f64>() * 3.0;
    let floor = 0.02 + rng.random::<f64>() * 0.1;
    let per_step_ms = 150.0 + rng.random::<f64>() * 200.0;
    let mut points = Vec::with_capacity((steps * 5 + steps / VAL_EVERY * 5 + 5) as usize);
    let mut time = start_ms as f64;
    for step in 0..steps {
        let progress = step as f64 / steps as f64;
        time += per_step_ms * (1.0f64 + 0.05 * noise.sample(&mut rng)).max(0.5);
        let time_ms = time.round() as i64;
        let base = 2.3 * (-rate * progress).exp() + floor;
        let broken = diverges && progress > 0.6;
        let mut loss = base * (1.0 + 0.05 * noise.sample(&mut rng));
        if broken {
            loss = if progress > 0.7 {
                f64::NAN
            } else {
                f64::INFINITY
            };
        }
        let acc = ((1.0 - base / 2.4) * 0.95 + 0.01 * noise.sample(&mut rng)).clamp(0.0, 1.0);
        let lr_now = lr * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos());
        let grad = if broken && progress > 0.7 {
            f64::NEG_INFINITY
        } else {
            (base * 3.0).ln() + 0.2 * noise.sample(&mut rng)
        };
        let throughput =
            batch as f64 * 1000.0 / per_step_ms * (1.0 + 0.03 * noise.sample(&mut rng));
        for (key, value) in [loss, acc, lr_now, grad, throughput]
            .into_iter()
            .enumerate()
        {
            points.push(Point {
                key: key as u8,
                step,
                time_ms,
                value,
            });
        }
        if step % VAL_EVERY == 0 {
            let val_loss = if broken {
                f64::NAN
            } else {
                base * 1.1 + 0.01 * noise.sample(&mut rng)
            };
            let val_acc = (acc - 0.02 + 0.005 * noise.sample(&mut rng)).clamp(0.0, 1.0);
            let top5 = (1.0 - (1.0 - val_acc) * 0.3).clamp(0.0, 1.0);
            let f1 = (val_acc * 0.97 + 0.005 * noise.sample(&mut rng)).clamp(0.0, 1.0);
            let perplexity = if broken {
                f64::INFINITY
            } else {
                val_loss.exp()
            };
            for (offset, value) in [val_loss, val_acc, top5, f1, perplexity]
                .into_iter()
                .enumerate()
            {
                points.push(Point {
                    key: 5 + offset as u8,
                    step,
                    time_ms,
                    value,
                });
            }
        }
    }
    GenRun {
        id: format!("{:016x}{:016x}", rng.random::<u64>(), rng.random::<u64>()),
        name: format!("sweep-{index:06}"),
        status,
        start_ms,
        end_ms: time.round() as i64,
        steps,
        params,
        points,
    }
}

/// The 20 params: 7 floats, 7 integers, 4 strings, 2 booleans.
fn params(
    rng: &mut SmallRng,
    index: usize,
    lr: f64,
    batch: i64,
) -> Vec<(&'static str, ParamValue)> {
    use ParamValue::{Bool, Float, Int, Text};
    let pick = |options: &[&str], i: usize| Text(options[i % options.len()].to_string());
    vec![
        ("lr", Float(lr)),
        ("weight_decay", Float([0.0, 1e-5, 1e-4, 1e-2][index % 4])),
        (
            "dropout",
            Float((rng.random::<f64>() * 50.0).round() / 100.0),
        ),
        ("momentum", Float(0.9)),
        ("warmup_ratio", Float([0.0, 0.05, 0.1][index % 3])),
        ("label_smoothing", Float(0.1)),
        ("grad_clip", Float(rng.random::<f64>() * 2.0 + 0.5)),
        ("batch_size", Int(batch)),
        ("epochs", Int([10, 20, 50][index % 3])),
        ("seed", Int((index / 20) as i64)),
        ("num_layers", Int([2, 4, 6, 8, 12][index % 5])),
        ("hidden_size", Int([128, 256, 512, 768][index % 4])),
        ("num_heads", Int([4, 8, 12][index % 3])),
        ("warmup_steps", Int(rng.random_range(0..2_000))),
        ("optimizer", pick(&["adam", "adamw", "sgd", "lion"], index)),
        (
            "scheduler",
            pick(&["cosine", "linear", "constant"], index / 3),
        ),
        (
            "model",
            pick(
                &["resnet18", "resnet50", "vit-s", "vit-b", "mlp"],
                index / 7,
            ),
        ),
        (
            "dataset",
            pick(&["cifar10", "cifar100", "imagenet-1k"], index / 11),
        ),
        ("use_amp", Bool(index.is_multiple_of(2))),
        ("pretrained", Bool(index.is_multiple_of(3))),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_hold_the_promised_shape_and_every_kind_of_non_finite_value() {
        let shape = Shape {
            runs: 120,
            min_steps: 100,
            max_steps: 2_000,
        };
        let (mut nan, mut pos_inf, mut neg_inf, mut total) = (0, 0, 0, 0u64);
        let mut step_counts = Vec::new();
        for index in 0..shape.runs {
            let run = run(&shape, 7, index);
            assert!((shape.min_steps..=shape.max_steps).contains(&run.steps));
            step_counts.push(run.steps);
            assert_eq!(run.params.len(), 20);
            for kind in ["Float", "Int", "Text", "Bool"] {
                assert!(
                    run.params
                        .iter()
                        .any(|(_, v)| format!("{v:?}").starts_with(kind)),
                    "no {kind} param"
                );
            }
            let val_steps = (run.steps + VAL_EVERY - 1) / VAL_EVERY;
            assert_eq!(run.points.len() as i64, 5 * run.steps + 5 * val_steps);
            let mut last = (-1, run.start_ms);
            for point in &run.points {
                assert!((0..run.steps).contains(&point.step));
                assert!(point.step >= last.0 && point.time_ms >= last.1);
                assert!(point.key < 5 || point.step % VAL_EVERY == 0);
                last = (point.step, point.time_ms);
                nan += point.value.is_nan() as u32;
                pos_inf += (point.value == f64::INFINITY) as u32;
                neg_inf += (point.value == f64::NEG_INFINITY) as u32;
            }
            assert_eq!(run.end_ms, last.1);
            total += run.points.len() as u64;
        }
        assert!(
            nan > 0 && pos_inf > 0 && neg_inf > 0,
            "{nan} {pos_inf} {neg_inf}"
        );
        // The step counts spread over the range rather than sitting at one end.
        assert!(step_counts.iter().any(|&s| s < 300) && step_counts.iter().any(|&s| s > 1_000));
        // The estimate the suite prints is within 25 % of the real count.
        let expected = shape.expected_points();
        assert!(
            (total as f64 - expected).abs() < expected * 0.25,
            "{total} vs {expected}"
        );
        // Same seed, same run; another seed, other values.
        assert_eq!(run(&shape, 7, 3).points, run(&shape, 7, 3).points);
        assert_ne!(run(&shape, 7, 3).points, run(&shape, 8, 3).points);
    }

    #[test]
    fn the_default_shapes_stay_under_a_hundred_million_points() {
        for runs in [1_000, 10_000, 100_000] {
            let points = Shape::for_runs(runs).expected_points();
            assert!(points < 100e6, "{runs} runs: {points}");
        }
    }
}
