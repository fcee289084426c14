//! `runlens completions SHELL` and `runlens man`: generated from the clap definition, so
//! they never drift from the real options.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use clap::CommandFactory;

use crate::args::Cli;

/// Writes the completion script for `shell`.
pub fn completions(shell: clap_complete::Shell, stdout: &mut dyn Write) -> anyhow::Result<u8> {
    let mut command = Cli::command();
    clap_complete::generate(shell, &mut command, "runlens", stdout);
    Ok(crate::EXIT_OK)
}

/// Prints the main manual page, or writes a page per command into `out_dir`.
pub fn man_page(out_dir: Option<&Path>, stdout: &mut dyn Write) -> anyhow::Result<u8> {
    let command = Cli::command();
    match out_dir {
        None => clap_mangen::Man::new(command).render(stdout)?,
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("could not create {}", dir.display()))?;
            clap_mangen::generate_to(command, dir).with_context(|| {
                format!("could not write the manual pages into {}", dir.display())
            })?;
            writeln!(stdout, "wrote the manual pages into {}", dir.display())?;
        }
    }
    Ok(crate::EXIT_OK)
}
