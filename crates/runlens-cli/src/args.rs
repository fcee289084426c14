//! Command-line arguments (clap). Kept apart from the commands' logic.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Turn ML run logs into a static, shareable report.
#[derive(Debug, Parser)]
#[command(name = "runlens", version, about, long_about = None)]
#[command(
    after_help = "Examples:\n  runlens build examples/ --single-file report.html\n  runlens build runs/ --out site/ --title \"LR sweep\"\n  runlens inspect runs/ --json\n\nExit codes: 0 success; 1 error, or any skipped input under --strict; 2 wrong command line."
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read run logs and write a report (a static site or one HTML file).
    Build(BuildArgs),
    /// Read run logs and print what runlens understood of them.
    Inspect(InspectArgs),
    /// Write the runs or their metric series as CSV, Parquet or JSON Lines.
    Export(ExportArgs),
    /// Build the multi-file site and preview it on a local web server (127.0.0.1 only).
    Serve(ServeArgs),
    /// Print a shell completion script (e.g. `runlens completions bash > ~/.local/share/bash-completion/completions/runlens`).
    Completions(CompletionsArgs),
    /// Print the manual page in roff (e.g. `runlens man > runlens.1 && man ./runlens.1`).
    Man(ManArgs),
}

/// `runlens man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write a page per command (runlens.1, runlens-build.1, ...) into this directory instead
    /// of printing the main page.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

/// `runlens completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Where to read runs from and how chatty to be.
#[derive(Debug, Args)]
pub struct SourceArgs {
    /// Files or directories of run logs, `sqlite:///PATH` of an MLflow store, or
    /// `http://HOST:PORT` of an MLflow tracking server; directories are walked and every
    /// log runlens recognises is read. Default: the `sources` of the config file.
    #[arg(value_name = "SOURCES")]
    pub sources: Vec<PathBuf>,
    /// Settings file (default: runlens.toml in the working directory, when there is one);
    /// command-line arguments override it. See docs/config.md.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Fail (exit code 1) when any input was skipped or only partly read.
    #[arg(long)]
    pub strict: bool,
    /// List the files that were not recognised as run logs.
    #[arg(long, short)]
    pub verbose: bool,
    /// No progress bar and no summary; warnings and errors are still printed.
    #[arg(long, short, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Read only runs of this experiment (repeat for several); runs without an experiment
    /// are then left out.
    #[arg(long = "experiment", value_name = "NAME")]
    pub experiments: Vec<String>,
    /// Also read runs and experiments marked as deleted (MLflow); left out by default.
    #[arg(long)]
    pub include_deleted: bool,
    /// Copy small artifacts (images, text, JSON, HTML) into the report up to this many
    /// bytes in all; the rest are listed without content; e.g. `0`, `10MB`
    /// [default: the config's max_artifact_bytes, else 4MiB].
    #[arg(long, value_name = "SIZE")]
    pub max_artifact_bytes: Option<bytesize::ByteSize>,
    /// Longest text kept whole in a value field (param and tag values, notes, dataset
    /// sources, descriptions); longer text is cut with a marker and a warning in the report;
    /// e.g. `16KiB` [default: the config's max_text_bytes, else 64KiB].
    #[arg(long, value_name = "SIZE")]
    pub max_text_bytes: Option<bytesize::ByteSize>,
    /// Longest text kept whole in a name or key (run ids and names, experiment and group
    /// names, param, tag and metric keys, artifact paths) [default: the config's
    /// max_name_bytes, else 1KiB].
    #[arg(long, value_name = "SIZE")]
    pub max_name_bytes: Option<bytesize::ByteSize>,
}

/// `runlens build`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  runlens build examples/ --single-file report.html\n  runlens build mlruns/ tb-logs/ --out public/"
)]
pub struct BuildArgs {
    /// Inputs.
    #[command(flatten)]
    pub source: SourceArgs,
    /// Write a multi-file static site into this directory (for GitHub Pages or any static host).
    #[arg(long, value_name = "DIR", required_unless_present = "single_file")]
    pub out: Option<PathBuf>,
    /// Write one self-contained HTML file (opens from file:// with no network).
    #[arg(long, value_name = "REPORT.html")]
    pub single_file: Option<PathBuf>,
    /// Title of the report [default: the config's title, else "runlens report"].
    #[arg(long)]
    pub title: Option<String>,
    /// Colours of the page: auto (the reader's system setting), light or dark
    /// [default: the config's theme, else auto].
    #[arg(long, value_parser = parse_theme)]
    pub theme: Option<runlens_site::Theme>,
    /// A markdown page to add to the report (repeat for several); its ```runlens blocks
    /// become live tables and charts [default: the config's pages].
    #[arg(long = "page", value_name = "FILE.md")]
    pub pages: Vec<PathBuf>,
    /// Warn when the single file is larger than this (many mail servers refuse attachments
    /// above 20-25 MB); e.g. `10MB`, `512KiB` [default: the config's max_size, else 20MB].
    #[arg(long, value_name = "SIZE")]
    pub max_size: Option<bytesize::ByteSize>,
    /// Read every input again instead of taking unchanged ones from the read cache
    /// (`.runlens-cache/` beside the output; see docs/benchmarks.md, incremental builds).
    #[arg(long)]
    pub no_cache: bool,
}

/// `runlens serve`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  runlens serve runs/ --watch\n  runlens serve mlruns/ --port 8080 --out site/"
)]
pub struct ServeArgs {
    /// Inputs.
    #[command(flatten)]
    pub source: SourceArgs,
    /// Keep the site in this directory (default: a temporary directory removed on exit).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Port on 127.0.0.1 to listen on (0: any free port).
    #[arg(long, default_value_t = 8000)]
    pub port: u16,
    /// Rebuild when a source changes; reload the page to see the new runs.
    #[arg(long)]
    pub watch: bool,
    /// Title of the report [default: the config's title, else "runlens report"].
    #[arg(long)]
    pub title: Option<String>,
    /// Colours of the page: auto (the reader's system setting), light or dark
    /// [default: the config's theme, else auto].
    #[arg(long, value_parser = parse_theme)]
    pub theme: Option<runlens_site::Theme>,
    /// A markdown page to add to the report (repeat for several); its ```runlens blocks
    /// become live tables and charts [default: the config's pages].
    #[arg(long = "page", value_name = "FILE.md")]
    pub pages: Vec<PathBuf>,
}

/// `runlens export`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  runlens export runs/ --table runs --format csv --output runs.csv\n  runlens export mlruns/ --table metrics --format parquet --output metrics.parquet"
)]
pub struct ExportArgs {
    /// Inputs.
    #[command(flatten)]
    pub source: SourceArgs,
    /// What to write: one row per run, or one row per metric point.
    #[arg(long, value_enum, default_value = "runs")]
    pub table: ExportTable,
    /// File format.
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// The file to write (replaced atomically).
    #[arg(long, short, value_name = "FILE")]
    pub output: PathBuf,
}

/// Which table `runlens export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportTable {
    /// One row per run: attributes, `params.*`, `tags.*`, `metrics.<key>.last|min|max`.
    Runs,
    /// One row per metric point: run, key, step, time, value.
    Metrics,
}

/// The file format of `runlens export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// Comma-separated values with a header row.
    Csv,
    /// Apache Parquet, zstd-compressed.
    Parquet,
    /// One JSON object per line; NaN and ±inf as the strings "NaN", "Infinity", "-Infinity".
    Jsonl,
}

/// `runlens inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Inputs.
    #[command(flatten)]
    pub source: SourceArgs,
    /// Print JSON for scripts (schema: docs/inspect-json.md).
    #[arg(long)]
    pub json: bool,
}

fn parse_theme(text: &str) -> Result<runlens_site::Theme, String> {
    runlens_site::Theme::parse(text)
        .ok_or_else(|| format!("{text:?} is not a theme; use auto, light or dark"))
}
