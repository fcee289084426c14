//! Tests of how many points a figure draws: fitted to the plot's width, spikes kept,
//! zoomed ranges at full resolution.

use super::*;
use runlens_core::model::{Run, RunStatus};

/// `runs` runs of `steps` points each: a noisy descending curve, run `spiky` with one
/// spike of 1000 at step `steps / 3 + 7`.
fn runs(runs: usize, steps: i64, spiky: usize) -> Vec<Run> {
    (0..runs)
        .map(|r| {
            let mut series = MetricSeries::default();
            for step in 0..steps {
                let noise = ((step * 7919 + r as i64 * 104_729) % 1000) as f64 / 1000.0;
                let v = if r == spiky && step == steps / 3 + 7 {
                    1000.0
                } else {
                    2.0 / (1.0 + step as f64 / 1000.0) + noise * 0.2
                };
                series.push(step, v, None);
            }
            let mut run = Run {
                id: format!("run-{r}"),
                name: format!("run-{r}"),
                source: "jsonl".into(),
                status: RunStatus::Finished,
                ..Run::default()
            };
            run.metrics.insert("loss".into(), series);
            run
        })
        .collect()
}

/// The figure of every run's `loss` in a chart box `width` px wide.
fn figure_of(runs: &[Run], options: &ChartOptions) -> serde_json::Value {
    let table = RunTable::from_runs("t", runs, &[]);
    let rows: Vec<usize> = (0..runs.len()).collect();
    let plan = Plan::new(&table, 0, &rows, None);
    let series: SeriesByRow<'_> = runs
        .iter()
        .enumerate()
        .map(|(row, run)| (row, &run.metrics["loss"]))
        .collect();
    let theme = Theme {
        dark: false,
        narrow: false,
    };
    figure(
        &table,
        0,
        &plan,
        &series,
        &SeriesByRow::new(),
        theme,
        options,
    )
    .json()
}

/// The y values of each trace (gaps left out), and how many points each has.
fn traces(value: &serde_json::Value) -> Vec<(Vec<f64>, usize)> {
    value["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let y = t["y"].as_array().unwrap();
            (
                y.iter().filter_map(serde_json::Value::as_f64).collect(),
                y.len(),
            )
        })
        .collect()
}

#[test]
fn a_hundred_smoothed_runs_are_drawn_to_the_plots_width_with_the_spike() {
    let runs = runs(100, 10_000, 42);
    let width = 1080;
    let plot = (width - PLOT_MARGIN) as usize;
    let options = ChartOptions {
        smoothing: Smoothing::Ema(0.6),
        width: Some(width),
        ..ChartOptions::default()
    };
    let value = figure_of(&runs, &options);
    let traces = traces(&value);
    // Ten faint traces (one per colour) and thirty joined lines (colour × dash).
    assert_eq!(traces.len(), 40);
    let total: usize = traces.iter().map(|(_, n)| n).sum();
    // The chart's budget, plus a gap between joined lines and gaps kept by buckets.
    assert!(
        total <= POINTS_PER_PIXEL * plot + 2 * runs.len(),
        "{total} points for a {plot} px plot"
    );
    assert!(total >= POINTS_PER_PIXEL * plot / 2, "{total}");
    // Far fewer than the million logged.
    assert!(total < 1_000_000 / 15, "{total}");
    // The spike survives in its faint raw curve (run 42: colour 2) and, smoothed, in its
    // line: the smoothed line's peak is drawn exactly.
    let faint_max = traces[2].0.iter().copied().fold(f64::MIN, f64::max);
    assert_eq!(faint_max, 1000.0, "the raw spike is drawn");
    let smoothed = Smoothing::Ema(0.6).apply(&runs[42].metrics["loss"].values);
    let peak = smoothed.iter().copied().fold(f64::MIN, f64::max);
    assert!(peak > 300.0, "{peak}");
    assert!(
        traces[10..].iter().any(|(y, _)| y.contains(&peak)),
        "the smoothed spike's peak {peak} is drawn"
    );
}

#[test]
fn a_line_never_gets_more_than_two_points_per_pixel_column() {
    let runs = runs(1, 10_000, 0);
    let count = |width: Option<u32>| {
        let options = ChartOptions {
            width,
            ..ChartOptions::default()
        };
        traces(&figure_of(&runs, &options))[0].1
    };
    let wide = count(Some(1080));
    assert!(wide <= 2 * 1000, "{wide}");
    assert!(wide >= 1000, "one run alone gets its full share: {wide}");
    // A narrower chart (a phone, a grid cell) draws fewer points.
    let narrow = count(Some(380));
    assert!(narrow <= 2 * 300, "{narrow}");
    assert!(narrow < wide);
    // Not measured yet: the default plot width.
    let unknown = count(None);
    assert!(unknown <= 2 * DEFAULT_PLOT_WIDTH as usize, "{unknown}");
    // The spike is in all of them.
    for width in [Some(1080), Some(380), Some(150), None] {
        let options = ChartOptions {
            width,
            ..ChartOptions::default()
        };
        let drawn = &traces(&figure_of(&runs, &options))[0].0;
        assert!(drawn.contains(&1000.0), "width {width:?}");
    }
}

#[test]
fn zooming_in_draws_every_logged_point_of_the_range() {
    let runs = runs(100, 10_000, 42);
    // 100 steps of each of 100 runs: under the share of each line (and of its faint
    // raw curve) at 1,000 px.
    let options = ChartOptions {
        smoothing: Smoothing::Ema(0.6),
        x_range: Some((3300.0, 3399.0)),
        width: Some(1080),
        ..ChartOptions::default()
    };
    let value = figure_of(&runs, &options);
    let traces = traces(&value);
    // Each of the 100 smoothed lines: 100 points in range, one beyond each edge; joined
    // into 30 traces with a gap between lines.
    let lines: usize = traces[10..].iter().map(|(_, n)| n).sum();
    assert_eq!(lines, 100 * 102 + 70, "every point of the range");
    let faint: usize = traces[..10].iter().map(|(_, n)| n).sum();
    assert_eq!(faint, 100 * 102 + 90, "the raw curves too");
    assert!(traces[2].0.contains(&1000.0), "the spike at step 3340");
}
