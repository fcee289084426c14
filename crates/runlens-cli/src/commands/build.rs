//! `runlens build`: reads the sources, encodes the bundle and writes the report(s).

use std::io::Write;

use anyhow::Context;
use runlens_core::bundle;
use runlens_site::{ReportInfo, SiteSummary};

use crate::args::BuildArgs;
use crate::output::{human_bytes, terminal_safe};

pub fn run(args: &BuildArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> anyhow::Result<u8> {
    let report = super::read(&args.source, stderr)?;
    super::check_strict(&args.source, &report)?;
    let archive = &report.archive;
    if archive.runs.is_empty() {
        writeln!(
            stderr,
            "warning: no runs found in the sources; the report will be empty\nhint: run with --verbose to list the files that were not recognised"
        )?;
    }
    let encoded = bundle::encode(archive, &args.title, bundle::DEFAULT_CHUNK_POINTS);
    let table = bundle::decode_index(&encoded.index)
        .context("the bundle just written does not decode (a bug in runlens)")?;
    let info = ReportInfo {
        title: &args.title,
        table: &table,
        point_count: archive.point_count(),
    };
    if let Some(dir) = &args.out {
        let summary = runlens_site::write_site(&info, &encoded, dir)
            .with_context(|| format!("could not write the site to {}", dir.display()))?;
        print_summary(stdout, &dir.display().to_string(), archive, &summary)?;
    }
    if let Some(file) = &args.single_file {
        let summary = runlens_site::write_single_file(&info, &encoded, file)
            .with_context(|| format!("could not write the report to {}", file.display()))?;
        print_summary(stdout, &file.display().to_string(), archive, &summary)?;
        let limit = args.max_size.as_u64();
        if summary.total_bytes > limit {
            writeln!(
                stderr,
                "warning: {} is {}, above --max-size {}: many mail servers refuse attachments this large\nhint: publish the multi-file site (--out DIR) instead, or build a report of fewer runs",
                terminal_safe(&file.display().to_string()),
                human_bytes(summary.total_bytes),
                human_bytes(limit),
            )?;
        }
    }
    Ok(crate::EXIT_OK)
}

fn print_summary(
    stdout: &mut dyn Write,
    target: &str,
    archive: &runlens_core::Archive,
    summary: &SiteSummary,
) -> std::io::Result<()> {
    writeln!(
        stdout,
        "wrote {}: {} runs, {} metric points, {} warnings; {} (data {}, wasm {}, JS {})",
        terminal_safe(target),
        archive.runs.len(),
        archive.point_count(),
        archive.warnings.len(),
        human_bytes(summary.total_bytes),
        human_bytes(summary.data_bytes),
        human_bytes(summary.wasm_bytes),
        human_bytes(summary.js_bytes),
    )
}
