//! `runlens build`: reads the sources, encodes the bundle and writes the report(s).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use runlens_core::Archive;
use runlens_core::bundle::{self, EncodedBundle, RunTable};
use runlens_ingest::ReadReport;
use runlens_site::{ReportInfo, SiteSummary};

use crate::args::BuildArgs;
use crate::config::Config;
use crate::output::{human_bytes, terminal_safe};

pub fn run(args: &BuildArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> anyhow::Result<u8> {
    let mut config = super::config(&args.source)?;
    config.theme = args.theme.or(config.theme);
    super::load_pages(&mut config, &args.pages)?;
    let cache_dir = (!args.no_cache).then(|| cache_dir(args)).flatten();
    let output = args.out.as_ref().or(args.single_file.as_ref());
    let spill_dir = spill_dir(output.map(PathBuf::as_path));
    let report = super::read_cached(
        &args.source,
        &config,
        cache_dir.as_deref(),
        Some(&spill_dir),
        stderr,
    )?;
    super::check_strict(&args.source, &report)?;
    warn_if_empty(&report.archive, stderr)?;
    let title = title(args.title.as_deref(), &config);
    // The chunk files go where the report is written as soon as they are encoded: into the
    // site's staging directory, or a temporary file the single file is written from.
    // With both outputs they are held in memory.
    let mut stage = None;
    let mut spool = None;
    let encoded = match (&args.out, &args.single_file) {
        (Some(dir), None) => {
            let site = stage.insert(
                runlens_site::SiteStage::new(dir)
                    .with_context(|| format!("could not write the site to {}", dir.display()))?,
            );
            encode_to(&report, &title, site)?
        }
        (None, Some(_)) => {
            let into = spool.insert(
                runlens_site::ChunkSpool::new_in(&spill_dir)
                    .context("could not start writing the report")?,
            );
            encode_to(&report, &title, into)?
        }
        _ => encode(&report, &title)?,
    };
    drop(report);
    warn_about_view(&config, &encoded, stderr)?;
    let info = encoded.info(&config);
    if let Some(dir) = &args.out {
        let summary = match stage {
            Some(stage) => runlens_site::finish_site(&info, &encoded.bundle, stage),
            None => runlens_site::write_site(&info, &encoded.bundle, dir),
        }
        .with_context(|| format!("could not write the site to {}", dir.display()))?;
        if !args.source.quiet {
            print_summary(stdout, &dir.display().to_string(), &encoded, &summary)?;
        }
    }
    if let Some(file) = &args.single_file {
        let summary = match &spool {
            Some(spool) => {
                runlens_site::write_single_file_spooled(&info, &encoded.bundle, spool, file)
            }
            None => runlens_site::write_single_file(&info, &encoded.bundle, file),
        }
        .with_context(|| format!("could not write the report to {}", file.display()))?;
        if !args.source.quiet {
            print_summary(stdout, &file.display().to_string(), &encoded, &summary)?;
        }
        let limit = args
            .max_size
            .or(config.max_size)
            .unwrap_or(DEFAULT_MAX_SIZE)
            .as_u64();
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

/// The read cache of a build: `.runlens-cache/<name>` beside its output (the site
/// directory, else the single file), so that each report keeps its own.
fn cache_dir(args: &BuildArgs) -> Option<std::path::PathBuf> {
    let output = args.out.as_ref().or(args.single_file.as_ref())?;
    let name = output.file_name()?;
    let parent = output.parent().unwrap_or(std::path::Path::new(""));
    Some(parent.join(".runlens-cache").join(name))
}

/// Where a build spills the metric points while it reads: beside its output (the directory
/// that will hold the site or the single file, so the same disk), else the system's
/// temporary directory.
pub fn spill_dir(output: Option<&Path>) -> PathBuf {
    output
        .and_then(Path::parent)
        .map(|dir| {
            if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            }
        })
        .filter(|dir| dir.is_dir())
        .map_or_else(std::env::temp_dir, Path::to_path_buf)
}

/// Size above which a single file gets a warning, unless configured.
const DEFAULT_MAX_SIZE: bytesize::ByteSize = bytesize::ByteSize::mb(20);
/// Title of a report nobody named.
const DEFAULT_TITLE: &str = "runlens report";

/// The report title: the command line's, else the config's, else the default.
pub fn title(command_line: Option<&str>, config: &Config) -> String {
    command_line
        .or(config.title.as_deref())
        .unwrap_or(DEFAULT_TITLE)
        .to_string()
}

/// Warns about parts of the configured initial view that do not fit these runs.
pub fn warn_about_view(
    config: &Config,
    encoded: &Encoded,
    stderr: &mut dyn Write,
) -> std::io::Result<()> {
    let problems = config
        .view_problems(&encoded.table)
        .into_iter()
        .chain(crate::pages::problems(&config.loaded_pages, &encoded.table));
    for problem in problems {
        writeln!(stderr, "warning: {}", terminal_safe(&problem))?;
    }
    Ok(())
}

/// Says so when the sources held no run at all (the report is still written).
pub fn warn_if_empty(archive: &Archive, stderr: &mut dyn Write) -> std::io::Result<()> {
    if archive.runs.is_empty() {
        writeln!(
            stderr,
            "warning: no runs found in the sources; the report will be empty\nhint: run with --verbose to list the files that were not recognised"
        )?;
    }
    Ok(())
}

/// An archive encoded as a bundle, with the run table decoded back for the page template.
pub struct Encoded {
    /// The bundle's bytes.
    pub bundle: EncodedBundle,
    table: RunTable,
    title: String,
    point_count: u64,
    run_count: usize,
    warning_count: usize,
}

impl Encoded {
    /// What the site writers need besides the bundle.
    pub fn info<'a>(&'a self, config: &'a Config) -> ReportInfo<'a> {
        ReportInfo {
            title: &self.title,
            table: &self.table,
            point_count: self.point_count,
            description: config.description.as_deref(),
            view: &config.view,
            theme: config.theme.unwrap_or_default(),
            directions: &config.directions,
            pages: &config.loaded_pages,
        }
    }
}

/// Encodes what `report` read into a bundle titled `title`, taking spilled series back one
/// at a time; the clock, chunk and level files are held in the bundle.
pub fn encode(report: &ReadReport, title: &str) -> anyhow::Result<Encoded> {
    let mut held = bundle::HeldChunks::default();
    let mut encoded = encode_to(report, title, &mut held)?;
    encoded.bundle.chunks = held.chunks;
    encoded.bundle.levels = held.levels;
    encoded.bundle.clocks = held.clocks;
    Ok(encoded)
}

/// [`encode`] giving the clock, chunk and level files to `sink` as they are made (the bundle
/// returned has none).
pub fn encode_to<K>(report: &ReadReport, title: &str, sink: &mut K) -> anyhow::Result<Encoded>
where
    K: bundle::ChunkSink,
    K::Error: std::error::Error + Send + Sync + 'static,
{
    let archive = &report.archive;
    let bundle = bundle::encode_into(
        archive,
        &report.series(),
        title,
        bundle::DEFAULT_CHUNK_POINTS,
        sink,
    )
    .context("could not encode the bundle")?;
    let table = bundle::decode_index(&bundle.index)
        .context("the bundle just written does not decode (a bug in runlens)")?;
    Ok(Encoded {
        bundle,
        table,
        title: title.to_string(),
        point_count: report.point_count(),
        run_count: archive.runs.len(),
        warning_count: archive.warnings.len(),
    })
}

pub fn print_summary(
    stdout: &mut dyn Write,
    target: &str,
    encoded: &Encoded,
    summary: &SiteSummary,
) -> std::io::Result<()> {
    writeln!(
        stdout,
        "wrote {}: {} runs, {} metric points, {} warnings; {} (data {}, wasm {}, JS {})",
        terminal_safe(target),
        encoded.run_count,
        encoded.point_count,
        encoded.warning_count,
        human_bytes(summary.total_bytes),
        human_bytes(summary.data_bytes),
        human_bytes(summary.wasm_bytes),
        human_bytes(summary.js_bytes),
    )
}
