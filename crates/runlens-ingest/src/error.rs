//! The crate's two error types: [`IngestError`] stops a whole read (a source that does not
//! exist), [`ReadError`] ends the reading of one file and becomes a warning naming it.

use std::io;
use std::path::{Path, PathBuf};

/// An error that stops [`crate::read_sources`]: the command cannot go on without the source.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// A source given by the user does not exist (or cannot even be looked at).
    #[error("cannot open source {}", path.display())]
    Source {
        /// The source as given.
        path: PathBuf,
        /// Why it could not be opened.
        #[source]
        source: io::Error,
    },
    /// A series spilled to the temporary file could not be read back.
    #[error("cannot read back the temporary spill file in {}; retry, or check the disk holding it", dir.display())]
    Spill {
        /// The directory the spill file is in.
        dir: PathBuf,
        /// The operating system's reason.
        #[source]
        source: io::Error,
    },
}

/// Why one file (or directory) could not be read at all; the caller turns it into a
/// [`runlens_core::Warning`] naming the file, and goes on with the others.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Opening or reading failed.
    #[error("cannot read {}", path.display())]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: io::Error,
    },
    /// The content is not in the format the reader expects.
    #[error("{}: {message}", path.display())]
    Invalid {
        /// The file concerned.
        path: PathBuf,
        /// What is wrong, without the path.
        message: String,
    },
    /// The CSV parser gave up on the file.
    #[cfg(feature = "csv")]
    #[error("cannot parse CSV in {}", path.display())]
    Csv {
        /// The file concerned.
        path: PathBuf,
        /// The parser's error.
        #[source]
        source: polars::error::PolarsError,
    },
}

impl ReadError {
    /// An [`ReadError::Io`] for `path`.
    pub fn io(path: &Path, source: io::Error) -> Self {
        ReadError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// An [`ReadError::Invalid`] for `path`.
    pub fn invalid(path: &Path, message: impl Into<String>) -> Self {
        ReadError::Invalid {
            path: path.to_path_buf(),
            message: message.into(),
        }
    }

    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            ReadError::Io { path, .. } | ReadError::Invalid { path, .. } => path,
            #[cfg(feature = "csv")]
            ReadError::Csv { path, .. } => path,
        }
    }

    /// What went wrong, without the path (a warning carries it separately).
    pub fn reason(&self) -> String {
        match self {
            ReadError::Io { source, .. } => format!("cannot be read: {source}"),
            ReadError::Invalid { message, .. } => message.clone(),
            #[cfg(feature = "csv")]
            ReadError::Csv { source, .. } => {
                // Polars' messages can span lines and suggest Python options; keep the gist.
                let text = source.to_string();
                let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
                format!("the CSV parser failed: {}", first.trim())
            }
        }
    }
}
