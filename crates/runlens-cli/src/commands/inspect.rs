//! `runlens inspect`: prints the normalized archive as a table or as JSON.

use std::io::Write;

use crate::args::InspectArgs;
use crate::output::{inspect_json, terminal_safe};

pub fn run(
    args: &InspectArgs,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> anyhow::Result<u8> {
    let config = super::config(&args.source)?;
    let report = super::read(&args.source, &config, stderr)?;
    super::check_strict(&args.source, &report)?;
    let archive = &report.archive;
    if args.json {
        serde_json::to_writer_pretty(&mut *stdout, &inspect_json(archive))?;
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
        .map(|run| {
            [
                terminal_safe(&run.name),
                run.source.clone(),
                terminal_safe(run.experiment.as_deref().unwrap_or("-")),
                run.status.to_string(),
                run.params.len().to_string(),
                run.metrics.len().to_string(),
                run.metrics
                    .values()
                    .map(|s| s.len())
                    .sum::<usize>()
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
        archive.point_count(),
        archive.warnings.len()
    )?;
    Ok(crate::EXIT_OK)
}
