//! The few protobuf messages of a `.wandb` file that runlens reads, declared by hand for
//! prost. Field numbers are those of `wandb_internal.proto` as shipped in wandb 0.31.0
//! (checked against the descriptors in `wandb/proto/v*/wandb_internal_pb2.py`); fields not
//! declared here are skipped by prost as unknown, so record types runlens does not read
//! (output, stats, artifact, telemetry, metric, ...) decode to an empty [`Record`].

/// `wandb_internal.Record`: one record of the file. Of the `record_type` oneof only
/// history = 2, summary = 3, config = 5, files = 6, run = 17 and exit = 18 are declared.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Record {
    /// `HistoryRecord history = 2`.
    #[prost(message, optional, tag = "2")]
    pub history: Option<HistoryRecord>,
    /// `SummaryRecord summary = 3`.
    #[prost(message, optional, tag = "3")]
    pub summary: Option<SummaryRecord>,
    /// `ConfigRecord config = 5`.
    #[prost(message, optional, tag = "5")]
    pub config: Option<ConfigRecord>,
    /// `FilesRecord files = 6`.
    #[prost(message, optional, tag = "6")]
    pub files: Option<FilesRecord>,
    /// `RunRecord run = 17`.
    #[prost(message, optional, tag = "17")]
    pub run: Option<RunRecord>,
    /// `RunExitRecord exit = 18`.
    #[prost(message, optional, tag = "18")]
    pub exit: Option<RunExitRecord>,
}

/// `wandb_internal.RunRecord` (summary = 5, settings = 11, starting_step = 14,
/// storage_id = 16, resumed = 18, telemetry = 19, runtime = 20, forked = 22,
/// branch_point = 23, resume = 24 are not read).
#[derive(Clone, PartialEq, prost::Message)]
pub struct RunRecord {
    /// `string run_id = 1`.
    #[prost(string, tag = "1")]
    pub run_id: String,
    /// `string entity = 2` (empty offline).
    #[prost(string, tag = "2")]
    pub entity: String,
    /// `string project = 3`.
    #[prost(string, tag = "3")]
    pub project: String,
    /// `ConfigRecord config = 4`: the config as given to `wandb.init`.
    #[prost(message, optional, tag = "4")]
    pub config: Option<ConfigRecord>,
    /// `string run_group = 6`.
    #[prost(string, tag = "6")]
    pub run_group: String,
    /// `string job_type = 7`.
    #[prost(string, tag = "7")]
    pub job_type: String,
    /// `string display_name = 8`.
    #[prost(string, tag = "8")]
    pub display_name: String,
    /// `string notes = 9`.
    #[prost(string, tag = "9")]
    pub notes: String,
    /// `repeated string tags = 10`.
    #[prost(string, repeated, tag = "10")]
    pub tags: Vec<String>,
    /// `string sweep_id = 12`.
    #[prost(string, tag = "12")]
    pub sweep_id: String,
    /// `string host = 13`.
    #[prost(string, tag = "13")]
    pub host: String,
    /// `google.protobuf.Timestamp start_time = 17`.
    #[prost(message, optional, tag = "17")]
    pub start_time: Option<Timestamp>,
    /// `GitRepoRecord git = 21`.
    #[prost(message, optional, tag = "21")]
    pub git: Option<GitRepoRecord>,
}

/// `google.protobuf.Timestamp`.
#[derive(Clone, Copy, PartialEq, prost::Message)]
pub struct Timestamp {
    /// `int64 seconds = 1`.
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    /// `int32 nanos = 2`.
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

/// `wandb_internal.GitRepoRecord`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct GitRepoRecord {
    /// `string remote_url = 1`.
    #[prost(string, tag = "1")]
    pub remote_url: String,
    /// `string commit = 2`.
    #[prost(string, tag = "2")]
    pub commit: String,
}

/// `wandb_internal.ConfigRecord`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ConfigRecord {
    /// `repeated ConfigItem update = 1`.
    #[prost(message, repeated, tag = "1")]
    pub update: Vec<Item>,
    /// `repeated ConfigItem remove = 2`.
    #[prost(message, repeated, tag = "2")]
    pub remove: Vec<Item>,
}

/// `wandb_internal.ConfigItem`, `SummaryItem` and `HistoryItem` share these fields (key = 1,
/// nested_key = 2, value_json = 16); the typed oneof of `HistoryItem` (none = 3 ... json = 8)
/// is not filled by wandb 0.31 and not read.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Item {
    /// `string key = 1`.
    #[prost(string, tag = "1")]
    pub key: String,
    /// `repeated string nested_key = 2`: the key's parts when `key` is empty.
    #[prost(string, repeated, tag = "2")]
    pub nested_key: Vec<String>,
    /// `string value_json = 16`: the value as JSON (with bare `NaN`, `Infinity`).
    #[prost(string, tag = "16")]
    pub value_json: String,
}

/// `wandb_internal.SummaryRecord`: a delta to the run summary.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SummaryRecord {
    /// `repeated SummaryItem update = 1`.
    #[prost(message, repeated, tag = "1")]
    pub update: Vec<Item>,
    /// `repeated SummaryItem remove = 2`.
    #[prost(message, repeated, tag = "2")]
    pub remove: Vec<Item>,
}

/// `wandb_internal.HistoryRecord`: one history row.
#[derive(Clone, PartialEq, prost::Message)]
pub struct HistoryRecord {
    /// `repeated HistoryItem item = 1`.
    #[prost(message, repeated, tag = "1")]
    pub item: Vec<Item>,
    /// `HistoryStep step = 2`.
    #[prost(message, optional, tag = "2")]
    pub step: Option<HistoryStep>,
}

/// `wandb_internal.HistoryStep`.
#[derive(Clone, Copy, PartialEq, prost::Message)]
pub struct HistoryStep {
    /// `int64 num = 1`.
    #[prost(int64, tag = "1")]
    pub num: i64,
}

/// `wandb_internal.RunExitRecord`.
#[derive(Clone, Copy, PartialEq, prost::Message)]
pub struct RunExitRecord {
    /// `int32 exit_code = 1`.
    #[prost(int32, tag = "1")]
    pub exit_code: i32,
    /// `int32 runtime = 2`: seconds.
    #[prost(int32, tag = "2")]
    pub runtime: i32,
}

/// `wandb_internal.FilesRecord`: files the run saved into its folder's `files/`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct FilesRecord {
    /// `repeated FilesItem files = 1`.
    #[prost(message, repeated, tag = "1")]
    pub files: Vec<FilesItem>,
}

/// `wandb_internal.FilesItem` (policy = 2 and type = 3 are not read).
#[derive(Clone, PartialEq, prost::Message)]
pub struct FilesItem {
    /// `string path = 1`: relative to the run folder's `files/`.
    #[prost(string, tag = "1")]
    pub path: String,
}
