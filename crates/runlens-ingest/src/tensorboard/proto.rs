//! The few protobuf messages of TensorBoard event files that runlens reads, declared by
//! hand for prost. Field numbers are those of tensorboard's `compat/proto/event.proto`,
//! `summary.proto`, `tensor.proto`, `tensor_shape.proto`, `types.proto` and
//! `plugins/hparams/plugin_data.proto` (the same numbers as in tensorboardX's copies);
//! fields not declared here are skipped by prost as unknown.

/// `tensorboard.Event`: one record of an event file.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Event {
    /// `double wall_time = 1`: seconds since the Unix epoch.
    #[prost(double, tag = "1")]
    pub wall_time: f64,
    /// `int64 step = 2`.
    #[prost(int64, tag = "2")]
    pub step: i64,
    /// `Summary summary = 5` (one case of the `what` oneof; the others — file_version=3,
    /// graph_def=4, log_message=6, session_log=7, tagged_run_metadata=8,
    /// meta_graph_def=9 — are not read).
    #[prost(message, optional, tag = "5")]
    pub summary: Option<Summary>,
}

/// `tensorboard.Summary`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Summary {
    /// `repeated Value value = 1`.
    #[prost(message, repeated, tag = "1")]
    pub value: Vec<SummaryValue>,
}

/// `tensorboard.Summary.Value`. Of the `value` oneof only `simple_value = 2` and
/// `tensor = 8` are declared; `obsolete_old_style_histogram = 3`, `image = 4`,
/// `histo = 5` and `audio = 6` are skipped.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SummaryValue {
    /// `string tag = 1`.
    #[prost(string, tag = "1")]
    pub tag: String,
    /// `float simple_value = 2`.
    #[prost(float, optional, tag = "2")]
    pub simple_value: Option<f32>,
    /// `Image image = 4` (tensorboardX and TF1 image summaries).
    #[prost(message, optional, tag = "4")]
    pub image: Option<SummaryImage>,
    /// `HistogramProto histo = 5` (tensorboardX and TF1 histograms).
    #[prost(message, optional, tag = "5")]
    pub histo: Option<HistogramProto>,
    /// `TensorProto tensor = 8`.
    #[prost(message, optional, tag = "8")]
    pub tensor: Option<TensorProto>,
    /// `SummaryMetadata metadata = 9`.
    #[prost(message, optional, tag = "9")]
    pub metadata: Option<SummaryMetadata>,
}

/// `tensorboard.HistogramProto` (num = 3, sum = 4, sum_squares = 5 are not read).
#[derive(Clone, PartialEq, prost::Message)]
pub struct HistogramProto {
    /// `double min = 1`.
    #[prost(double, tag = "1")]
    pub min: f64,
    /// `double max = 2`.
    #[prost(double, tag = "2")]
    pub max: f64,
    /// `repeated double bucket_limit = 6`: the upper edge of each bucket.
    #[prost(double, repeated, tag = "6")]
    pub bucket_limit: Vec<f64>,
    /// `repeated double bucket = 7`: the count of each bucket.
    #[prost(double, repeated, tag = "7")]
    pub bucket: Vec<f64>,
}

/// `tensorboard.Summary.Image` (height = 1, width = 2, colorspace = 3 are not read).
#[derive(Clone, PartialEq, prost::Message)]
pub struct SummaryImage {
    /// `bytes encoded_image_string = 4`: a PNG (or JPEG, GIF) file.
    #[prost(bytes = "vec", tag = "4")]
    pub encoded_image_string: Vec<u8>,
}

/// `tensorboard.SummaryMetadata` (display_name = 2, summary_description = 3 and
/// data_class = 4 are not read).
#[derive(Clone, PartialEq, prost::Message)]
pub struct SummaryMetadata {
    /// `PluginData plugin_data = 1`.
    #[prost(message, optional, tag = "1")]
    pub plugin_data: Option<PluginData>,
}

/// `tensorboard.SummaryMetadata.PluginData`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PluginData {
    /// `string plugin_name = 1`: `scalars`, `text`, `hparams`, `histograms`, `images`, ...
    #[prost(string, tag = "1")]
    pub plugin_name: String,
    /// `bytes content = 2`: plugin-specific, serialized.
    #[prost(bytes = "vec", tag = "2")]
    pub content: Vec<u8>,
}

/// `tensorboard.TensorProto` (scomplex_val = 9, dcomplex_val = 12, resource_handle_val = 14
/// and variant_val = 15 are not read).
#[derive(Clone, PartialEq, prost::Message)]
pub struct TensorProto {
    /// `DataType dtype = 1` (see [`dtype`]).
    #[prost(int32, tag = "1")]
    pub dtype: i32,
    /// `TensorShapeProto tensor_shape = 2`.
    #[prost(message, optional, tag = "2")]
    pub tensor_shape: Option<TensorShapeProto>,
    /// `bytes tensor_content = 4`: the elements as raw little-endian bytes.
    #[prost(bytes = "vec", tag = "4")]
    pub tensor_content: Vec<u8>,
    /// `repeated float float_val = 5`.
    #[prost(float, repeated, tag = "5")]
    pub float_val: Vec<f32>,
    /// `repeated double double_val = 6`.
    #[prost(double, repeated, tag = "6")]
    pub double_val: Vec<f64>,
    /// `repeated int32 int_val = 7`: DT_INT32, DT_INT16, DT_INT8, DT_UINT8, DT_UINT16.
    #[prost(int32, repeated, tag = "7")]
    pub int_val: Vec<i32>,
    /// `repeated bytes string_val = 8`.
    #[prost(bytes = "vec", repeated, tag = "8")]
    pub string_val: Vec<Vec<u8>>,
    /// `repeated int64 int64_val = 10`.
    #[prost(int64, repeated, tag = "10")]
    pub int64_val: Vec<i64>,
    /// `repeated bool bool_val = 11`.
    #[prost(bool, repeated, tag = "11")]
    pub bool_val: Vec<bool>,
    /// `repeated int32 half_val = 13`: DT_HALF and DT_BFLOAT16 bit patterns.
    #[prost(int32, repeated, tag = "13")]
    pub half_val: Vec<i32>,
    /// `repeated uint32 uint32_val = 16`.
    #[prost(uint32, repeated, tag = "16")]
    pub uint32_val: Vec<u32>,
    /// `repeated uint64 uint64_val = 17`.
    #[prost(uint64, repeated, tag = "17")]
    pub uint64_val: Vec<u64>,
}

/// `tensorboard.TensorShapeProto`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TensorShapeProto {
    /// `repeated Dim dim = 2`.
    #[prost(message, repeated, tag = "2")]
    pub dim: Vec<Dim>,
    /// `bool unknown_rank = 3`.
    #[prost(bool, tag = "3")]
    pub unknown_rank: bool,
}

/// `tensorboard.TensorShapeProto.Dim`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Dim {
    /// `int64 size = 1` (-1 for unknown).
    #[prost(int64, tag = "1")]
    pub size: i64,
}

/// `tensorboard.DataType` values (types.proto) that runlens reads.
pub mod dtype {
    /// `DT_FLOAT = 1`.
    pub const FLOAT: i32 = 1;
    /// `DT_DOUBLE = 2`.
    pub const DOUBLE: i32 = 2;
    /// `DT_INT32 = 3`.
    pub const INT32: i32 = 3;
    /// `DT_UINT8 = 4`.
    pub const UINT8: i32 = 4;
    /// `DT_INT16 = 5`.
    pub const INT16: i32 = 5;
    /// `DT_INT8 = 6`.
    pub const INT8: i32 = 6;
    /// `DT_STRING = 7`.
    pub const STRING: i32 = 7;
    /// `DT_INT64 = 9`.
    pub const INT64: i32 = 9;
    /// `DT_BOOL = 10`.
    pub const BOOL: i32 = 10;
    /// `DT_BFLOAT16 = 14`.
    pub const BFLOAT16: i32 = 14;
    /// `DT_UINT16 = 17`.
    pub const UINT16: i32 = 17;
    /// `DT_HALF = 19`.
    pub const HALF: i32 = 19;
    /// `DT_UINT32 = 22`.
    pub const UINT32: i32 = 22;
    /// `DT_UINT64 = 23`.
    pub const UINT64: i32 = 23;
}

/// `tensorboard.hparams.HParamsPluginData` (plugin_data.proto): the content of a summary
/// whose plugin is `hparams`. The `experiment = 2` case is not read.
#[derive(Clone, PartialEq, prost::Message)]
pub struct HParamsPluginData {
    /// `Experiment experiment = 2`: the hyper-parameters and metrics of a study.
    #[prost(message, optional, tag = "2")]
    pub experiment: Option<HParamsExperiment>,
    /// `SessionStartInfo session_start_info = 3`.
    #[prost(message, optional, tag = "3")]
    pub session_start_info: Option<SessionStartInfo>,
    /// `SessionEndInfo session_end_info = 4`.
    #[prost(message, optional, tag = "4")]
    pub session_end_info: Option<SessionEndInfo>,
}

/// `tensorboard.hparams.Experiment` (only the metric definitions are read).
#[derive(Clone, PartialEq, prost::Message)]
pub struct HParamsExperiment {
    /// `repeated MetricInfo metric_infos = 5`.
    #[prost(message, repeated, tag = "5")]
    pub metric_infos: Vec<MetricInfo>,
}

/// `tensorboard.hparams.MetricInfo` (dataset_type = 5 is not read).
#[derive(Clone, PartialEq, prost::Message)]
pub struct MetricInfo {
    /// `MetricName name = 1`.
    #[prost(message, optional, tag = "1")]
    pub name: Option<MetricName>,
    /// `string display_name = 3`.
    #[prost(string, tag = "3")]
    pub display_name: String,
    /// `string description = 4`.
    #[prost(string, tag = "4")]
    pub description: String,
}

/// `tensorboard.hparams.MetricName`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MetricName {
    /// `string group = 1`: the sub-run the metric is logged in (`validation`), or empty.
    #[prost(string, tag = "1")]
    pub group: String,
    /// `string tag = 2`.
    #[prost(string, tag = "2")]
    pub tag: String,
}

/// `tensorboard.hparams.SessionStartInfo`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SessionStartInfo {
    /// `map<string, google.protobuf.Value> hparams = 1`.
    #[prost(btree_map = "string, message", tag = "1")]
    pub hparams: std::collections::BTreeMap<String, ProtoValue>,
    /// `string group_name = 4`.
    #[prost(string, tag = "4")]
    pub group_name: String,
    /// `double start_time_secs = 5`.
    #[prost(double, tag = "5")]
    pub start_time_secs: f64,
}

/// `tensorboard.hparams.SessionEndInfo`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SessionEndInfo {
    /// `Status status = 1`: 0 unknown, 1 success, 2 failure, 3 running.
    #[prost(int32, tag = "1")]
    pub status: i32,
    /// `double end_time_secs = 2`.
    #[prost(double, tag = "2")]
    pub end_time_secs: f64,
}

/// `google.protobuf.Value` (struct.proto). `struct_value = 5` and `list_value = 6` are not
/// declared: such a value decodes with no kind.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ProtoValue {
    /// The `kind` oneof.
    #[prost(oneof = "ProtoKind", tags = "1, 2, 3, 4")]
    pub kind: Option<ProtoKind>,
}

/// The `kind` oneof of `google.protobuf.Value`.
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum ProtoKind {
    /// `NullValue null_value = 1`.
    #[prost(int32, tag = "1")]
    Null(i32),
    /// `double number_value = 2`.
    #[prost(double, tag = "2")]
    Number(f64),
    /// `string string_value = 3`.
    #[prost(string, tag = "3")]
    Text(String),
    /// `bool bool_value = 4`.
    #[prost(bool, tag = "4")]
    Bool(bool),
}
