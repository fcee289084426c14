//! The progress bar of long reads (indicatif): bytes of the sources read so far, with the
//! file count, rate and ETA. Shown only on a terminal, never with `--quiet`, and drawn
//! without colour.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Progress of one read of the sources; a no-op when hidden.
pub struct ReadProgress {
    bar: Option<ProgressBar>,
    files: u64,
}

impl ReadProgress {
    /// A bar over the total size of `sources` when stderr is a terminal and `quiet` is off.
    pub fn start(sources: &[PathBuf], quiet: bool) -> ReadProgress {
        if quiet || !std::io::stderr().is_terminal() {
            return ReadProgress {
                bar: None,
                files: 0,
            };
        }
        let total: u64 = sources.iter().map(|s| size_of(s)).sum();
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "reading {bytes}/{total_bytes} ({binary_bytes_per_sec}, {msg}) [{wide_bar}] ETA {eta}",
            )
            .expect("the template is valid")
            .progress_chars("=> "),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        ReadProgress {
            bar: Some(bar),
            files: 0,
        }
    }

    /// Counts `path` (just read) as done.
    pub fn read(&mut self, path: &Path) {
        let Some(bar) = &self.bar else { return };
        self.files += 1;
        bar.inc(size_of(path));
        bar.set_message(format!("{} read", plural(self.files, "file")));
    }

    /// Removes the bar.
    pub fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}

fn plural(n: u64, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// Bytes of a file, or of every file below a directory (0 for a URL or what cannot be read).
fn size_of(path: &Path) -> u64 {
    walkdir::WalkDir::new(path)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_count_every_file_below_a_directory() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("run")).unwrap();
        std::fs::write(dir.path().join("run/a"), [0u8; 10]).unwrap();
        std::fs::write(dir.path().join("b"), [0u8; 5]).unwrap();
        assert_eq!(size_of(dir.path()), 15);
        assert_eq!(size_of(&dir.path().join("b")), 5);
        assert_eq!(size_of(Path::new("sqlite:///nowhere.db")), 0);
        assert_eq!(plural(1, "file"), "1 file");
        assert_eq!(plural(3, "file"), "3 files");
    }

    #[test]
    fn hidden_when_quiet() {
        let mut progress = ReadProgress::start(&[PathBuf::from(".")], true);
        assert!(progress.bar.is_none());
        progress.read(Path::new("."));
        assert_eq!(progress.files, 0);
        progress.finish();
    }
}
