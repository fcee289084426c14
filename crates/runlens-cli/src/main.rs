//! The `runlens` binary: parses arguments and hands them to [`runlens_cli::run`].

use std::process::ExitCode;

fn main() -> ExitCode {
    let code = runlens_cli::run(
        std::env::args_os(),
        &mut std::io::stdout(),
        &mut std::io::stderr(),
    );
    ExitCode::from(code)
}
