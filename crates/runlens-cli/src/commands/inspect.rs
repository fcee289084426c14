//! `runlens inspect`: prints the normalized archive as a table or as JSON. The metric
//! points are spilled to a temporary file while the sources are read and summarized one
//! series at a time, so memory does not grow with the points.

use std::io::Write;

use crate::args::InspectArgs;
use crate::output::{inspect_json, terminal_safe};

pub fn run(
    args: &InspectArgs,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> anyhow::Result<u8> {
    let config = super::config(&args.source)?;
    // The points go to a temporary file as they are read, and each series is read back once
    // for its summary: memory holds the runs' other fields, not the points.
    let report = super::read(&args.source, &config, &std::env::temp_dir(), stderr)?;
    super::check_strict(&args.source, &report)?;
    let archive = &report.archive;
    let summaries = super::summaries(&report)?;
    if args.json {
        serde_json::to_writer_pretty(&mut *stdout, &inspect_json(archive, &summaries))?;
        writeln!(stdout)?;
        return Ok(crate::EXIT_OK);
    }
    let header = [
        "RUN",
        "SOURCE",
        "EXPERIMENT",
        "STATUS",
        "PARAMS",
        "METRICS",
        "POINTS",
    ];
    let rows: Vec<[String; 7]> = archive
        .runs
        .iter()
        .zip(&summaries)
        .map(|(run, metrics)| {
            [
                terminal_safe(&run.name),
                run.source.clone(),
                terminal_safe(run.experiment.as_deref().unwrap_or("-")),
                run.status.to_string(),
                run.params.len().to_string(),
                metrics.len().to_string(),
                metrics
                    .values()
                    .flatten()
                    .map(|s| s.count)
                    .sum::<u64>()
                    .to_string(),
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        cells
            .iter()
            .zip(widths)
            .enumerate()
            .map(|(i, (cell, width))| {
                if i >= 4 {
                    format!("{cell:>width$}")
                } else {
                    format!("{cell:<width$}")
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    writeln!(stdout, "{}", line(&header.map(String::from)))?;
    for row in &rows {
        writeln!(stdout, "{}", line(row))?;
    }
    writeln!(
        stdout,
        "\n{} runs, {} metric points, {} warnings",
        archive.runs.len(),
        report.point_count(),
        archive.warnings.len()
    )?;
    Ok(crate::EXIT_OK)
}
