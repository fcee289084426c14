//! runlens-core: the I/O-free heart of runlens, shared by the CLI and the WebAssembly page.
//! It holds the run model, the data bundle codec, the query language and grouping.
//! Nothing here touches files, the network or a clock, so it builds for `wasm32-unknown-unknown`.

pub mod bundle;
pub mod details;
pub mod embed;
pub mod group;
pub mod model;
pub mod query;
pub mod view;

pub use details::{
    Artifact, ArtifactBudget, ArtifactContent, ArtifactKind, Dataset, Histogram, ModelVersion,
    RegisteredModel,
};
pub use model::{Archive, MetricSeries, MetricSummary, ParamValue, Run, RunStatus, Warning};
