//! Tests of chart plans, figures and chunk needs.

use super::*;
use runlens_core::group::{self, GroupKey};
use runlens_core::model::{Run, RunStatus};

fn run(name: &str, group: &str, values: &[f64]) -> Run {
    let mut series = MetricSeries::default();
    for (step, &v) in values.iter().enumerate() {
        series.push(step as i64 * 10, v, None);
    }
    let mut run = Run {
        id: name.into(),
        name: name.into(),
        source: "jsonl".into(),
        group: Some(group.into()),
        status: RunStatus::Finished,
        ..Run::default()
    };
    if !values.is_empty() {
        run.metrics.insert("loss".into(), series);
    }
    run
}

fn archive() -> (RunTable, Vec<Run>) {
    let runs = vec![
        run("<img src=x onerror=alert(1)>", "a&b", &[1.0, f64::NAN, 0.5]),
        run("plain", "a&b", &[2.0, 1.0, f64::INFINITY]),
        run("empty", "c", &[]),
    ];
    (RunTable::from_runs("t", &runs, &[]), runs)
}

/// The figure of metric 0 over `plan`, in light colours, with no x metric.
fn draw(table: &RunTable, plan: &Plan, series: &SeriesByRow<'_>, options: &ChartOptions) -> Figure {
    draw_in(table, plan, series, light(), options)
}

/// The figure of metric 0 over `plan` in `theme`, with no x metric.
fn draw_in(
    table: &RunTable,
    plan: &Plan,
    series: &SeriesByRow<'_>,
    theme: Theme,
    options: &ChartOptions,
) -> Figure {
    figure(table, 0, plan, series, &SeriesByRow::new(), theme, options)
}

fn json(figure: &Figure) -> serde_json::Value {
    figure.json()
}

#[test]
fn runs_plan_skips_runs_without_the_metric_and_says_so() {
    let (table, _) = archive();
    let plan = Plan::new(&table, 0, &[2, 1, 0], None);
    assert_eq!(plan.rows(), [1, 0]);
    assert_eq!(
        plan.note("loss").as_deref(),
        Some("1 of 3 visible runs have no loss.")
    );
}

#[test]
fn a_plan_of_ticked_runs_says_only_those_are_drawn() {
    let (table, _) = archive();
    let plan = Plan::ticked(&table, 0, &[1]);
    assert_eq!(plan.rows(), [1]);
    assert_eq!(
        plan.note("loss").as_deref(),
        Some("Only the 1 run ticked in the table is drawn.")
    );
    let plan = Plan::ticked(&table, 0, &[0, 2]);
    assert_eq!(plan.rows(), [0]);
    assert_eq!(
        plan.note("loss").as_deref(),
        Some("Only the 2 runs ticked in the table are drawn; 1 of 2 ticked runs have no loss.")
    );
}

#[test]
fn runs_plan_caps_lines() {
    let runs: Vec<Run> = (0..RUN_CAP + 5)
        .map(|i| run(&format!("r{i}"), "g", &[1.0]))
        .collect();
    let table = RunTable::from_runs("t", &runs, &[]);
    let rows: Vec<usize> = (0..runs.len()).rev().collect();
    let plan = Plan::new(&table, 0, &rows, None);
    assert_eq!(plan.rows().len(), RUN_CAP);
    assert_eq!(plan.rows()[0], RUN_CAP + 4, "table order");
    assert_eq!(
        plan.note("loss").as_deref(),
        Some("The chart draws the first 200 of 205 runs in table order.")
    );
}

#[test]
fn more_runs_than_a_legend_holds_share_a_trace_per_look() {
    // 40 runs: 10 colours × solid, dashed, dotted, then solid again: 30 looks.
    let runs: Vec<Run> = (0..40)
        .map(|i| run(&format!("<b>r{i}</b>"), "g", &[i as f64, f64::NAN, 1.0]))
        .collect();
    let table = RunTable::from_runs("t", &runs, &[]);
    let rows: Vec<usize> = (0..runs.len()).collect();
    let plan = Plan::new(&table, 0, &rows, None);
    let series: SeriesByRow<'_> = runs
        .iter()
        .enumerate()
        .map(|(row, r)| (row, &r.metrics["loss"]))
        .collect();
    let value = json(&draw(&table, &plan, &series, &ChartOptions::default()));
    let data = value["data"].as_array().unwrap();
    assert_eq!(data.len(), 30);
    // Runs 0 and 30 look alike (first colour, solid): one trace, a gap between them.
    let first = &data[0];
    assert_eq!(first["line"]["color"], colour(0, 1.0));
    assert_eq!(first["line"]["dash"], "solid");
    assert_eq!(
        first["y"],
        serde_json::json!([0.0, null, 1.0, null, 30.0, null, 1.0])
    );
    assert_eq!(
        first["x"],
        serde_json::json!([0.0, 10.0, 20.0, 20.0, 0.0, 10.0, 20.0])
    );
    let texts = first["text"].as_array().unwrap();
    assert_eq!(texts[0], "&lt;b&gt;r0&lt;/b&gt;");
    assert_eq!(texts[4], "&lt;b&gt;r30&lt;/b&gt;");
    // Every run is drawn once, with all its finite points.
    let values: usize = data
        .iter()
        .map(|t| {
            t["y"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|v| !v.is_null())
                .count()
        })
        .sum();
    assert_eq!(values, 40 * 2);
    // Smoothed: the faint raw curves are drawn first, behind and without hover.
    let smoothed = draw(
        &table,
        &plan,
        &series,
        &ChartOptions {
            smoothing: Smoothing::Ema(0.5),
            ..ChartOptions::default()
        },
    );
    let value = json(&smoothed);
    let data = value["data"].as_array().unwrap();
    assert_eq!(data.len(), 10 + 30);
    assert!(data[..10].iter().all(|t| t["hoverinfo"] == "skip"));
    assert!(data[10..].iter().all(|t| t["hovertemplate"].is_string()));
}

#[test]
fn a_groups_runs_behind_the_bands_are_capped_and_the_note_says_so() {
    // 300 runs in groups of 240 and 60: 160 and 40 of them drawn behind the bands.
    let runs: Vec<Run> = (0..300)
        .map(|i| {
            let group = if i < 240 { "big" } else { "small" };
            run(&format!("r{i:03}"), group, &[i as f64, 1.0])
        })
        .collect();
    let table = RunTable::from_runs("t", &runs, &[]);
    let rows: Vec<usize> = (0..runs.len()).collect();
    let groups = group::group_rows(&table, &rows, &GroupKey::Group);
    let plan = Plan::new(&table, 0, &rows, Some(&groups));
    let series: SeriesByRow<'_> = runs
        .iter()
        .enumerate()
        .map(|(row, r)| (row, &r.metrics["loss"]))
        .collect();
    let options = ChartOptions {
        show_runs: true,
        ..ChartOptions::default()
    };
    let figure = draw(&table, &plan, &series, &options);
    let value = json(&figure);
    let named: Vec<usize> = value["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["text"].as_array())
        .map(|texts| {
            let mut names: Vec<&str> = texts.iter().filter_map(|t| t.as_str()).collect();
            names.retain(|n| !n.is_empty());
            names.dedup();
            names.len()
        })
        .collect();
    assert_eq!(named, [160, 40]);
    assert!(
        figure
            .notes
            .iter()
            .any(|n| n == "Behind the bands, the first 200 of 300 runs are drawn (each group's first in table order)."),
        "{:?}",
        figure.notes
    );
    // Under the cap, every run is drawn and nothing is said.
    let few: Vec<usize> = (230..260).collect();
    let groups = group::group_rows(&table, &few, &GroupKey::Group);
    let plan = Plan::new(&table, 0, &few, Some(&groups));
    let figure = draw(&table, &plan, &series, &options);
    assert!(!figure.notes.iter().any(|n| n.starts_with("Behind")));
}

#[test]
fn run_figure_escapes_names_and_maps_non_finite_to_null() {
    let (table, runs) = archive();
    let plan = Plan::new(&table, 0, &[0, 1], None);
    let series: SeriesByRow<'_> = [(0, &runs[0].metrics["loss"]), (1, &runs[1].metrics["loss"])]
        .into_iter()
        .collect();
    let plot = draw_in(
        &table,
        &plan,
        &series,
        Theme {
            dark: false,
            narrow: false,
        },
        &ChartOptions::default(),
    );
    let value = json(&plot);
    let data = value["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    assert_eq!(data[0]["name"], "&lt;img src=x onerror=alert(1)&gt;");
    assert_eq!(data[0]["y"], serde_json::json!([1.0, null, 0.5]));
    assert_eq!(data[1]["y"], serde_json::json!([2.0, 1.0, null]));
    assert_eq!(data[0]["x"], serde_json::json!([0.0, 10.0, 20.0]));
    assert_eq!(data[0]["line"]["color"], colour(0, 1.0));
    assert!(!value.to_string().contains("<img"));

    // Smoothed: a faint raw curve behind each smoothed line.
    let smoothed = draw_in(
        &table,
        &plan,
        &series,
        Theme {
            dark: false,
            narrow: false,
        },
        &ChartOptions {
            smoothing: Smoothing::Ema(0.9),
            ..ChartOptions::default()
        },
    );
    let value = json(&smoothed);
    let data = value["data"].as_array().unwrap();
    assert_eq!(data.len(), 4);
    assert_eq!(
        data[0]["y"],
        serde_json::json!([1.0, null, 0.5]),
        "the raw curve"
    );
    assert_eq!(data[0]["line"]["color"], colour(0, 0.25));
    assert_eq!(
        data[1]["line"]["color"],
        colour(1, 0.25),
        "one faint trace per colour"
    );
    assert_eq!(
        data[2]["name"], "&lt;img src=x onerror=alert(1)&gt;",
        "the smoothed lines come after (over) the faint ones"
    );
}

#[test]
fn group_figure_has_band_and_mean_per_group() {
    let (table, runs) = archive();
    let groups = group::group_rows(&table, &[0, 1, 2], &GroupKey::Group);
    let plan = Plan::new(&table, 0, &[0, 1, 2], Some(&groups));
    let series: SeriesByRow<'_> = [(0, &runs[0].metrics["loss"]), (1, &runs[1].metrics["loss"])]
        .into_iter()
        .collect();
    let plot = draw_in(
        &table,
        &plan,
        &series,
        Theme {
            dark: true,
            narrow: true,
        },
        &ChartOptions::default(),
    );
    let value = json(&plot);
    let data = value["data"].as_array().unwrap();
    assert_eq!(data.len(), 3, "the group without series draws nothing");
    assert_eq!(data[1]["fill"], "tonexty");
    assert_eq!(data[2]["name"], "a&amp;b (2 runs)");
    assert_eq!(data[2]["y"][0], 1.5);
    let std = 0.5f64.sqrt(); // sample std of 1 and 2
    assert!(
        (data[0]["y"][0].as_f64().unwrap() - (1.5 + std)).abs() < 1e-12,
        "mean + std"
    );
    assert!(
        (data[1]["y"][0].as_f64().unwrap() - (1.5 - std)).abs() < 1e-12,
        "mean - std"
    );
    assert_eq!(data[2]["y"][2], 0.5, "the infinity is left out of the mean");
    assert_eq!(plan.note("loss"), None);
}

#[test]
fn needed_chunks_are_those_of_the_rows() {
    let runs: Vec<Run> = (0..6)
        .map(|i| run(&format!("r{i}"), "g", &[1.0, 2.0]))
        .collect();
    let archive = runlens_core::model::Archive {
        runs,
        ..Default::default()
    };
    let bundle = runlens_core::bundle::encode(&archive, "t", 4);
    let table = runlens_core::bundle::decode_index(&bundle.index).unwrap();
    assert_eq!(table.chunks.len(), 3);
    assert_eq!(needed_chunks(&table, 0, &[0, 5]), [0, 2]);
    assert_eq!(needed_chunks(&table, 0, &[]), Vec::<u32>::new());
}

fn light() -> Theme {
    Theme {
        dark: false,
        narrow: false,
    }
}

/// Two runs of `loss` with times: run 0 logs at 100, 110, 120 s; run 1 has no times.
fn timed() -> (RunTable, Vec<Run>) {
    let mut a = run("a", "g", &[]);
    let mut series = MetricSeries::default();
    for (i, v) in [3.0, 2.0, 1.0].into_iter().enumerate() {
        series.push(i as i64, v, Some(100.0 + 10.0 * i as f64));
    }
    a.metrics.insert("loss".into(), series);
    a.start_time = Some(90.0);
    let b = run("b", "g", &[5.0, 4.0]);
    let runs = vec![a, b];
    (RunTable::from_runs("t", &runs, &[]), runs)
}

fn series_of(runs: &[Run]) -> SeriesByRow<'_> {
    runs.iter()
        .enumerate()
        .filter_map(|(i, r)| r.metrics.get("loss").map(|s| (i, s)))
        .collect()
}

#[test]
fn time_axes_use_logged_times_and_say_which_runs_lack_them() {
    let (table, runs) = timed();
    let plan = Plan::new(&table, 0, &[0, 1], None);
    let series = series_of(&runs);
    let relative = draw(
        &table,
        &plan,
        &series,
        &ChartOptions {
            x: XAxis::Relative,
            ..ChartOptions::default()
        },
    );
    let value = json(&relative);
    let data = value["data"].as_array().unwrap();
    assert_eq!(data.len(), 1, "the run without times is not drawn");
    // Seconds since the run's start (90 s).
    assert_eq!(data[0]["x"], serde_json::json!([10.0, 20.0, 30.0]));
    assert_eq!(
        value["layout"]["xaxis"]["title"]["text"],
        "time since start (s)"
    );
    assert_eq!(
        relative.notes,
        ["1 run logged no times and is not drawn on this x axis."]
    );
    let wall = draw(
        &table,
        &plan,
        &series,
        &ChartOptions {
            x: XAxis::WallTime,
            ..ChartOptions::default()
        },
    );
    let value = json(&wall);
    assert_eq!(
        value["data"][0]["x"],
        serde_json::json!([100_000.0, 110_000.0, 120_000.0])
    );
    assert_eq!(value["layout"]["xaxis"]["type"], "date");
}

#[test]
fn log_axes_zoom_and_outliers_shape_the_layout() {
    let mut runs = vec![run("a", "g", &[])];
    let mut series = MetricSeries::default();
    for step in 1..=1000 {
        let v = if step == 500 {
            1e9
        } else {
            f64::from(step % 10) + 1.0
        };
        series.push(i64::from(step), v, None);
    }
    runs[0].metrics.insert("loss".into(), series);
    let table = RunTable::from_runs("t", &runs, &[]);
    let plan = Plan::new(&table, 0, &[0], None);
    let series = series_of(&runs);
    let options = ChartOptions {
        log_x: true,
        log_y: true,
        ignore_outliers: true,
        x_range: Some((100.0, 200.0)),
        ..ChartOptions::default()
    };
    let fig = draw(&table, &plan, &series, &options);
    let value = json(&fig);
    let layout = &value["layout"];
    assert_eq!(layout["xaxis"]["type"], "log");
    assert_eq!(layout["yaxis"]["type"], "log");
    // A log axis's range is in log10 units.
    assert_eq!(
        layout["xaxis"]["range"],
        serde_json::json!([2.0, 200f64.log10()])
    );
    // Zoomed: only steps 99..=201 are drawn, each one (full resolution).
    let x = value["data"][0]["x"].as_array().unwrap();
    assert_eq!(x.len(), 103);
    assert_eq!(x[0], 99.0);
    // The y range ignores the 1e9 spike (which is outside the zoom anyway) and is in log10.
    let y = layout["yaxis"]["range"].as_array().unwrap();
    assert!(y[1].as_f64().unwrap() < 2.0, "{y:?}");

    // Unzoomed, the spike is drawn but the outlier-proof range leaves it out.
    let options = ChartOptions {
        ignore_outliers: true,
        ..ChartOptions::default()
    };
    let value = json(&draw(&table, &plan, &series, &options));
    let ys = value["data"][0]["y"].as_array().unwrap();
    assert!(ys.contains(&serde_json::json!(1e9)), "the spike is drawn");
    let y = value["layout"]["yaxis"]["range"].as_array().unwrap();
    assert!(y[1].as_f64().unwrap() < 20.0, "{y:?}");
}

#[test]
fn bands_can_be_standard_errors_or_min_to_max_and_show_their_runs() {
    let (table, runs) = archive();
    let groups = group::group_rows(&table, &[0, 1, 2], &GroupKey::Group);
    let plan = Plan::new(&table, 0, &[0, 1, 2], Some(&groups));
    let series: SeriesByRow<'_> = [(0, &runs[0].metrics["loss"]), (1, &runs[1].metrics["loss"])]
        .into_iter()
        .collect();
    let draw = |band, show_runs| {
        let fig = draw(
            &table,
            &plan,
            &series,
            &ChartOptions {
                band,
                show_runs,
                ..ChartOptions::default()
            },
        );
        (json(&fig), fig.notes)
    };
    // Values at step 0 are 1 and 2: mean 1.5, std √0.5, standard error √0.5/√2 = 0.5.
    let (value, notes) = draw(BandKind::StdErr, false);
    assert!((value["data"][0]["y"][0].as_f64().unwrap() - 2.0).abs() < 1e-12);
    assert!((value["data"][1]["y"][0].as_f64().unwrap() - 1.0).abs() < 1e-12);
    assert_eq!(notes, ["Lines are group means; bands: ± standard error."]);
    let (value, _) = draw(BandKind::MinMax, false);
    assert_eq!(value["data"][0]["y"][0], 2.0);
    assert_eq!(value["data"][1]["y"][0], 1.0);
    // With its runs: one faint trace for the group's runs (a gap between them, each
    // point named after its run), then the band.
    let (value, _) = draw(BandKind::Std, true);
    let data = value["data"].as_array().unwrap();
    assert_eq!(data.len(), 4);
    let hostile = "&lt;img src=x onerror=alert(1)&gt;";
    let texts = data[0]["text"].as_array().unwrap();
    assert_eq!(texts[0], hostile);
    assert_eq!(data[0]["y"].as_array().unwrap().len(), texts.len());
    assert!(
        data[0]["y"]
            .as_array()
            .unwrap()
            .contains(&serde_json::Value::Null)
    );
    assert_eq!(data[0]["showlegend"], false);
    // A digest of the label: letters and digits only (plotly makes class names of them).
    let group = data[0]["legendgroup"].as_str().unwrap();
    assert!(group.starts_with("group-"), "{group}");
    assert!(group[6..].chars().all(|c| c.is_ascii_hexdigit()), "{group}");
    assert_eq!(data[3]["legendgroup"], data[0]["legendgroup"]);
    assert_eq!(data[3]["name"], "a&amp;b (2 runs)");
}

#[test]
fn another_metric_can_be_the_x_axis_matched_step_by_step() {
    let mut a = run("a", "g", &[3.0, 2.0, 1.0]);
    let mut lr = MetricSeries::default();
    // lr logged at steps 0 and 20 only (steps of `run` are 0, 10, 20).
    lr.push(0, 0.1, None);
    lr.push(20, 0.001, None);
    a.metrics.insert("lr".into(), lr);
    let b = run("b", "g", &[5.0, 4.0]);
    let runs = vec![a, b];
    let table = RunTable::from_runs("t", &runs, &[]);
    let loss = table.metric_index("loss").unwrap();
    let lr_index = table.metric_index("lr").unwrap();
    let plan = Plan::new(&table, loss, &[0, 1], None);
    let series: SeriesByRow<'_> = [(0, &runs[0].metrics["loss"]), (1, &runs[1].metrics["loss"])]
        .into_iter()
        .collect();
    let x_series: SeriesByRow<'_> = [(0, &runs[0].metrics["lr"])].into_iter().collect();
    let options = ChartOptions {
        x: XAxis::Metric(lr_index),
        ..ChartOptions::default()
    };
    let fig = figure(&table, loss, &plan, &series, &x_series, light(), &options);
    let value = json(&fig);
    let data = value["data"].as_array().unwrap();
    assert_eq!(data.len(), 1, "run b has no lr");
    assert_eq!(data[0]["x"][0], 0.1);
    assert!(data[0]["x"][1].is_null(), "no lr at step 10: a gap");
    assert_eq!(data[0]["y"][1], serde_json::Value::Null);
    assert_eq!(data[0]["x"][2], 0.001);
    assert_eq!(value["layout"]["xaxis"]["title"]["text"], "lr");
    assert_eq!(
        fig.notes,
        ["1 run logged no lr and is not drawn on this x axis."]
    );
    assert_eq!(
        XAxis::parse_value("metric:lr", &table),
        Some(XAxis::Metric(lr_index))
    );
    assert_eq!(XAxis::Metric(lr_index).value(&table), "metric:lr");
    assert_eq!(XAxis::parse_value("metric:nope", &table), None);
}

#[test]
fn a_median_centre_line_is_not_moved_by_one_wild_run() {
    let runs = vec![
        run("a", "g", &[1.0, 1.0]),
        run("b", "g", &[2.0, 3.0]),
        run("c", "g", &[100.0, 4.0]),
    ];
    let table = RunTable::from_runs("t", &runs, &[]);
    let groups = group::group_rows(&table, &[0, 1, 2], &GroupKey::Group);
    let plan = Plan::new(&table, 0, &[0, 1, 2], Some(&groups));
    let series: SeriesByRow<'_> = runs
        .iter()
        .enumerate()
        .map(|(row, r)| (row, &r.metrics["loss"]))
        .collect();
    let line = |centre| {
        let options = ChartOptions {
            centre,
            band: BandKind::MinMax,
            ..ChartOptions::default()
        };
        let fig = draw(&table, &plan, &series, &options);
        let value = json(&fig);
        // Upper edge, lower edge, then the centre line.
        let ys: Vec<f64> = value["data"][2]["y"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        (ys, fig.notes, value["data"][0]["y"][0].as_f64().unwrap())
    };
    let (mean, notes, _) = line(Centre::Mean);
    assert_eq!(mean, [103.0 / 3.0, 8.0 / 3.0]);
    assert_eq!(notes, ["Lines are group means; bands: min to max."]);
    let (median, notes, upper) = line(Centre::Median);
    assert_eq!(median, [2.0, 3.0]);
    assert_eq!(notes, ["Lines are group medians; bands: min to max."]);
    assert_eq!(upper, 100.0, "the band still spans every run");
}

#[test]
fn only_plain_zoomed_out_run_lines_use_the_overview_levels() {
    let runs = Plan::Runs {
        rows: vec![0],
        with_metric: 1,
        visible: 1,
        ticked: false,
    };
    let plain = ChartOptions::default();
    assert!(overview_suffices(&runs, &plain));
    for x in [XAxis::WallTime, XAxis::Relative] {
        assert!(overview_suffices(
            &runs,
            &ChartOptions { x, ..plain.clone() }
        ));
    }
    let full = [
        ChartOptions {
            x_range: Some((0.0, 10.0)),
            ..plain.clone()
        },
        ChartOptions {
            smoothing: Smoothing::Ema(0.6),
            ..plain.clone()
        },
        ChartOptions {
            x: XAxis::Metric(1),
            ..plain.clone()
        },
    ];
    for options in &full {
        assert!(!overview_suffices(&runs, options), "{options:?}");
    }
    let groups = Plan::Groups {
        groups: Vec::new(),
        total: 0,
    };
    assert!(!overview_suffices(&groups, &plain));
}
