//! runlens-cli: the `runlens` command. [`run`] is the whole program behind `main`, callable
//! in-process (the tests do) with its own output streams.

mod args;
mod commands;
mod config;
mod output;
mod pages;
mod progress;
pub mod site_server;

use std::ffi::OsString;
use std::io::Write;

use clap::Parser;

pub use args::Cli;

/// Exit code: success.
pub const EXIT_OK: u8 = 0;
/// Exit code: an error, or warnings under `--strict`.
pub const EXIT_ERROR: u8 = 1;
/// Exit code: the command line was wrong.
pub const EXIT_USAGE: u8 = 2;

/// A command line that is wrong in a way clap cannot see (exit code [`EXIT_USAGE`]).
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Runs the program with `args` (including the program name) and returns its exit code.
pub fn run(
    args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> u8 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
            let text = e.render().to_string();
            let _ = if e.use_stderr() {
                stderr.write_all(text.as_bytes())
            } else {
                stdout.write_all(text.as_bytes())
            };
            return code;
        }
    };
    match commands::dispatch(cli, stdout, stderr) {
        Ok(code) => code,
        Err(error) => {
            if is_broken_pipe(&error) {
                return EXIT_OK;
            }
            if let Some(usage) = error.downcast_ref::<UsageError>() {
                let _ = writeln!(
                    stderr,
                    "error: {usage}\n\nFor more information, try '--help'."
                );
                return EXIT_USAGE;
            }
            let _ = writeln!(stderr, "error: {error}");
            for cause in error.chain().skip(1) {
                let _ = writeln!(stderr, "  caused by: {cause}");
            }
            EXIT_ERROR
        }
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
