//! runlens-ingest: readers that turn run logs into a [`runlens_core::Archive`], one module
//! per input format behind the [`Reader`] trait, plus the walk that finds the logs
//! ([`read_sources`]). Formats are described in `docs/input-formats.md`.

mod budget;
mod cache;
mod cores;
#[cfg(feature = "csv")]
mod csv;
mod dvclive;
mod error;
pub mod in_memory;
mod jsonl;
mod lane;
mod limits;
mod mlflow;
mod reader;
mod sources;
mod spill;
mod sqlite_open;
mod tensorboard;
#[cfg(test)]
mod test_support;
mod time;
mod trackio;
mod tree;
mod wandb;

pub use budget::ReadBudget;
pub use cache::ReadCache;
#[cfg(feature = "csv")]
pub use csv::{MetricsCsvReader, RunsCsvReader};
pub use dvclive::{DvcliveReader, TAG_PREFIX as DVC_TAG_PREFIX};
pub use error::{IngestError, ReadError};
pub use jsonl::JsonlReader;
pub use limits::TextLimits;
pub use mlflow::MlflowReader;
pub use reader::{Entry, EntryKind, HEAD_BYTES, ReadOutput, Reader};
pub use sources::{
    ReadOptions, ReadReport, read_sources, read_sources_cached, read_sources_with,
    read_sources_with_progress,
};
pub use spill::{ArchiveSeries, SpillReadError, SpilledSeries};
pub use tensorboard::{
    HPARAMS_METRIC_TAG_PREFIX, IMAGE_FOLDER as TENSORBOARD_IMAGE_FOLDER, TensorBoardReader,
};
pub use trackio::TrackioReader;
pub use wandb::{TAG_PREFIX as WANDB_TAG_PREFIX, WandbReader};

/// Every built-in reader, in detection order: the first that claims an entry reads it.
pub fn readers() -> Vec<Box<dyn Reader>> {
    vec![
        Box::new(TensorBoardReader),
        // Before MLflow, which takes any SQLite file named on the command line.
        Box::new(TrackioReader),
        Box::new(MlflowReader),
        Box::new(WandbReader),
        // Before the CSV readers, which would take the TSVs of a Live folder for tables.
        Box::new(DvcliveReader),
        Box::new(JsonlReader),
        #[cfg(feature = "csv")]
        Box::new(MetricsCsvReader),
        #[cfg(feature = "csv")]
        Box::new(RunsCsvReader),
    ]
}
