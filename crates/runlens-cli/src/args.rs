//! Command-line arguments (clap). Kept apart from the commands' logic.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Turn ML run logs into a static, shareable report.
#[derive(Debug, Parser)]
#[command(name = "runlens", version, about, long_about = None)]
#[command(
    after_help = "Examples:\n  runlens build examples/ --single-file report.html\n  runlens build runs/ --out site/ --title \"LR sweep\"\n  runlens inspect runs/ --json"
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
}

/// Where to read runs from and how chatty to be.
#[derive(Debug, Args)]
pub struct SourceArgs {
    /// Files or directories of run logs, or `sqlite:///PATH` of an MLflow store;
    /// directories are walked and every log runlens recognises is read.
    #[arg(required = true, value_name = "SOURCES")]
    pub sources: Vec<PathBuf>,
    /// Fail (exit code 1) when any input was skipped or only partly read.
    #[arg(long)]
    pub strict: bool,
    /// List the files that were not recognised as run logs.
    #[arg(long, short)]
    pub verbose: bool,
    /// Read only runs of this experiment (repeat for several); runs without an experiment
    /// are then left out.
    #[arg(long = "experiment", value_name = "NAME")]
    pub experiments: Vec<String>,
    /// Also read runs and experiments marked as deleted (MLflow); left out by default.
    #[arg(long)]
    pub include_deleted: bool,
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
    /// Title of the report.
    #[arg(long, default_value = "runlens report")]
    pub title: String,
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
