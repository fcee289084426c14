//! Synthetic sweeps for the benchmarks: noisy exponential learning curves with realistic
//! params, NaN and inf present (a diverging run), wall times with jitter.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};
use runlens_core::{Archive, MetricSeries, ParamValue, Run, RunStatus};

/// `runs` runs of `steps` steps each, with train/loss, val/loss, val/acc and lr metrics.
pub fn sweep(runs: usize, steps: i64, seed: u64) -> Archive {
    let mut rng = SmallRng::seed_from_u64(seed);
    let noise = Normal::new(0.0, 1.0).expect("valid normal");
    let mut archive = Archive::default();
    for index in 0..runs {
        let lr = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2][index % 5];
        let mut run = Run {
            id: format!("run-{index:05}"),
            name: format!("sweep-{index}"),
            source: "synthetic".into(),
            experiment: Some("bench".into()),
            status: RunStatus::Finished,
            start_time: Some(1.7e9 + index as f64 * 3600.0),
            ..Run::default()
        };
        run.params.insert("lr".into(), ParamValue::Float(lr));
        run.params.insert(
            "batch_size".into(),
            ParamValue::Int([32, 64, 128][index % 3]),
        );
        run.params.insert(
            "optimizer".into(),
            ParamValue::Text(["adam", "sgd"][index % 2].into()),
        );
        run.params
            .insert("seed".into(), ParamValue::Int((index / 30) as i64));
        let diverges = index % 50 == 7;
        let rate = 2.0 + rng.random::<f64>() * 3.0;
        let mut time = run.start_time.unwrap_or_default();
        let mut train = MetricSeries::default();
        let mut val = MetricSeries::default();
        let mut acc = MetricSeries::default();
        let mut lr_series = MetricSeries::default();
        for step in 0..steps {
            let progress = step as f64 / steps as f64;
            time += 0.25 + rng.random::<f64>() * 0.01;
            let t = (time * 1000.0).round() / 1000.0;
            let base = 2.3 * (-rate * progress).exp() + 0.05;
            let mut loss = base * (1.0 + 0.05 * noise.sample(&mut rng));
            if diverges && progress > 0.6 {
                loss = if progress > 0.7 {
                    f64::NAN
                } else {
                    f64::INFINITY
                };
            }
            train.push(step, loss, Some(t));
            lr_series.push(
                step,
                lr * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos()),
                Some(t),
            );
            if step % 10 == 0 {
                val.push(step, base * 1.1 + 0.01 * noise.sample(&mut rng), Some(t));
                acc.push(
                    step,
                    (1.0 - base / 2.4) * 0.95 + 0.005 * noise.sample(&mut rng),
                    Some(t),
                );
            }
        }
        run.metrics.insert("train/loss".into(), train);
        run.metrics.insert("train/lr".into(), lr_series);
        run.metrics.insert("val/loss".into(), val);
        run.metrics.insert("val/acc".into(), acc);
        run.end_time = Some(time);
        archive.runs.push(run);
    }
    archive.finish();
    archive
}
