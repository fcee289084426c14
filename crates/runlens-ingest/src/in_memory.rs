//! The readers' parsers over bytes held in memory: what a reader makes of one file's
//! content, without the file. The fuzz targets (`fuzz/`) call these; each reads exactly as
//! the reader reads a file of that content, `name` standing for the path in warnings.

use std::path::Path;

use runlens_core::{Run, Warning};

use crate::error::ReadError;
use crate::reader::ReadOutput;

/// At most this many line warnings are listed, as in a read with the default options.
const LINE_WARNINGS: usize = 20;

/// A TensorBoard event file (`events.out.tfevents.*`) of these bytes: one run.
pub fn tensorboard_events(name: &str, bytes: &[u8]) -> (Vec<Run>, Vec<Warning>) {
    let path = Path::new(name);
    let mut out = ReadOutput::new(path, LINE_WARNINGS);
    let mut builder = crate::tensorboard::single_file_builder(path);
    let result = builder.read_from(bytes, bytes.len() as u64, path, &mut out);
    let run = builder.finish(&mut out);
    out.add_run(run);
    finish(out, result)
}

/// A W&B run file (`run-<id>.wandb`) of these bytes: its run, if any record was read.
pub fn wandb_run(name: &str, bytes: &[u8]) -> (Vec<Run>, Vec<Warning>) {
    let path = Path::new(name);
    let mut out = ReadOutput::new(path, LINE_WARNINGS);
    let result = crate::wandb::read_from(bytes, path, &mut out);
    finish(out, result)
}

/// A JSONL event stream of these bytes.
pub fn jsonl(name: &str, bytes: &[u8]) -> (Vec<Run>, Vec<Warning>) {
    let path = Path::new(name);
    let mut out = ReadOutput::new(path, LINE_WARNINGS);
    let result = crate::jsonl::read_lines(bytes, path, &mut out);
    finish(out, result)
}

/// One point of an MLflow file store metric file (`metrics/<key>`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricLine {
    /// Milliseconds since the epoch.
    pub timestamp_ms: i64,
    /// The value.
    pub value: f64,
    /// The step (0 when the line has none).
    pub step: i64,
}

/// One line of an MLflow file store metric file: `timestamp value [step [dataset digest]]`;
/// the error says what is wrong with it.
pub fn mlflow_metric_line(line: &str) -> Result<MetricLine, String> {
    let point = crate::mlflow::parse_metric_line(line)?;
    Ok(MetricLine {
        timestamp_ms: point.timestamp_ms.unwrap_or_default(),
        value: point.value,
        step: point.step,
    })
}

/// The runs and warnings of `out`, an error ending the read becoming a warning as in
/// [`crate::read_sources`].
fn finish(mut out: ReadOutput, result: Result<(), ReadError>) -> (Vec<Run>, Vec<Warning>) {
    if let Err(error) = result {
        let rest = if out.runs().is_empty() {
            "file skipped"
        } else {
            "the rest of the file is skipped"
        };
        out.warn_file(format!("{}; {rest}", error.reason()));
    }
    out.into_parts()
}
