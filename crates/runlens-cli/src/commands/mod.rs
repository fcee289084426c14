//! One module per subcommand, plus the reading step they share.

mod build;
mod export;
mod inspect;
mod manual;
mod serve;

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::Context;
use runlens_ingest::{ReadOptions, ReadReport};

use crate::args::{Cli, Command, SourceArgs};
use crate::config::Config;
use crate::output::terminal_safe;
use crate::progress::ReadProgress;

/// Largest input (bytes on disk) a streamed build keeps in the read cache: a cached read is
/// held whole in memory, so larger inputs are read every time and spilled as they are read.
const STREAMED_CACHE_MAX_INPUT_BYTES: u64 = 64 << 20;

/// Runs the parsed command; returns the exit code.
pub fn dispatch(cli: Cli, stdout: &mut dyn Write, stderr: &mut dyn Write) -> anyhow::Result<u8> {
    match cli.command {
        Command::Build(args) => build::run(&args, stdout, stderr),
        Command::Inspect(args) => inspect::run(&args, stdout, stderr),
        Command::Export(args) => export::run(&args, stdout, stderr),
        Command::Serve(args) => serve::run(&args, stdout, stderr),
        Command::Completions(args) => manual::completions(args.shell, stdout),
        Command::Man(args) => manual::man_page(args.out_dir.as_deref(), stdout),
    }
}

/// Reads the narrative pages: those named on the command line, else the config's.
fn load_pages(config: &mut Config, command_line: &[std::path::PathBuf]) -> anyhow::Result<()> {
    let paths = if command_line.is_empty() {
        crate::pages::config_paths(config.path.as_deref(), &config.pages)
    } else {
        command_line.to_vec()
    };
    config.loaded_pages = crate::pages::load(&paths)?;
    Ok(())
}

/// Loads the config file the source arguments point to (or `runlens.toml` when present).
fn config(args: &SourceArgs) -> anyhow::Result<Config> {
    Config::discover(args.config.as_deref())
}

/// Reads the sources (from the command line, else from the config), prints warnings (and
/// with `--verbose` the unrecognised files) to `stderr`, and returns the report; the metric
/// points are spilled to a temporary file in `spill_dir` (take them through
/// [`run_series`] and [`summaries`]).
fn read(
    args: &SourceArgs,
    config: &Config,
    spill_dir: &std::path::Path,
    stderr: &mut dyn Write,
) -> anyhow::Result<ReadReport> {
    read_cached(args, config, None, Some(spill_dir), stderr)
}

/// The metric series of run `row` of `report`, held or spilled, by key.
fn run_series(
    report: &ReadReport,
    row: usize,
) -> anyhow::Result<BTreeMap<String, runlens_core::MetricSeries>> {
    use runlens_core::bundle::SeriesSource as _;
    let source = report.series();
    let mut out = BTreeMap::new();
    for key in source.metric_keys(row) {
        if out.contains_key(key) {
            continue;
        }
        let series = source.series(row, key)?.unwrap_or_default().into_owned();
        out.insert(key.to_string(), series);
    }
    Ok(out)
}

/// Per run of `report`, the summary of every metric (`None` for a key without points),
/// each series read once.
fn summaries(report: &ReadReport) -> anyhow::Result<Vec<RunSummaries>> {
    (0..report.archive.runs.len())
        .map(|row| {
            Ok(run_series(report, row)?
                .into_iter()
                .map(|(key, series)| (key, series.summary()))
                .collect())
        })
        .collect()
}

/// The summary of each metric of one run, by key.
type RunSummaries = BTreeMap<String, Option<runlens_core::model::MetricSummary>>;

/// [`read`] through the read cache in `cache_dir`, when given (incremental builds), with
/// the metric points spilled to a temporary file in `spill_dir`, when given (the report's
/// series are then taken through [`ReadReport::series`]).
fn read_cached(
    args: &SourceArgs,
    config: &Config,
    cache_dir: Option<&std::path::Path>,
    spill_dir: Option<&std::path::Path>,
    stderr: &mut dyn Write,
) -> anyhow::Result<ReadReport> {
    let sources = config
        .sources(&args.sources)
        .map_err(|e| crate::UsageError(e.to_string()))?;
    let mut options = ReadOptions::default();
    options.include_deleted = args.include_deleted;
    options.experiments.clone_from(&args.experiments);
    if let Some(budget) = args.max_artifact_bytes.or(config.max_artifact_bytes) {
        options.max_artifact_bytes = budget.as_u64();
    }
    let text_bytes =
        |size: bytesize::ByteSize| usize::try_from(size.as_u64()).unwrap_or(usize::MAX);
    if let Some(size) = args.max_text_bytes.or(config.max_text_bytes) {
        options.text_limits.value_bytes = text_bytes(size);
    }
    if let Some(size) = args.max_name_bytes.or(config.max_name_bytes) {
        options.text_limits.name_bytes = text_bytes(size);
    }
    options.spill_dir = spill_dir.map(std::path::Path::to_path_buf);
    let mut cache = cache_dir.map(|dir| {
        let cache = runlens_ingest::ReadCache::new(dir, &options);
        match spill_dir {
            // Cached reads are handed over whole: a streamed build caches small inputs only.
            Some(_) => cache.with_max_input_bytes(STREAMED_CACHE_MAX_INPUT_BYTES),
            None => cache,
        }
    });
    let mut progress = ReadProgress::start(&sources, args.quiet);
    let report = runlens_ingest::read_sources_cached(
        &sources,
        &options,
        &runlens_ingest::readers(),
        &mut |path| progress.read(path),
        cache.as_mut(),
    );
    progress.finish();
    let report = report.context("could not read the sources")?;
    if let Some(cache) = &cache {
        for note in cache.notes() {
            writeln!(stderr, "warning: {}", terminal_safe(note))?;
        }
        if args.verbose {
            let (hits, misses) = cache.hits_and_misses();
            writeln!(
                stderr,
                "note: {hits} input(s) taken from the read cache, {misses} read"
            )?;
        }
    }
    if args.verbose {
        for path in &report.unrecognized {
            writeln!(
                stderr,
                "note: not a run log, ignored: {}",
                terminal_safe(&path.display().to_string())
            )?;
        }
    }
    if let Some(note) = report.spilled.note() {
        writeln!(stderr, "warning: {}", terminal_safe(note))?;
    }
    for warning in &report.archive.warnings {
        writeln!(stderr, "warning: {}", terminal_safe(&warning.to_string()))?;
    }
    Ok(report)
}

/// The `--strict` verdict: an error when it is set and anything was skipped.
fn check_strict(args: &SourceArgs, report: &ReadReport) -> anyhow::Result<()> {
    let count = report.archive.warnings.len();
    if args.strict && count > 0 {
        anyhow::bail!(
            "{count} input problem(s) and --strict is set; nothing was written\nhint: fix the inputs named above, or drop --strict to report what could be read"
        );
    }
    Ok(())
}
