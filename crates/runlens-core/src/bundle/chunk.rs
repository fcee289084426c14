//! Metric chunks: the series of one metric for a set of runs, with steps and times
//! delta-coded and values byte-split into eight planes before deflate.

use serde::{Deserialize, Serialize};

use super::BundleError;
use crate::model::MetricSeries;

/// One encoded series inside a chunk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EncodedSeries {
    /// Row of the run in the run table.
    pub run: u32,
    /// First step, then differences between consecutive steps (zig-zag varints on the wire).
    pub step_deltas: Vec<i64>,
    /// IEEE-754 bits of the values, little-endian, split into 8 byte planes:
    /// plane `k` holds byte `k` of every value, so the slowly changing sign/exponent
    /// bytes compress well.
    pub value_planes: Vec<u8>,
    /// Wall times as deltas of their IEEE-754 bit patterns (as i64), when the series has times.
    pub time_deltas: Option<Vec<i64>>,
}

/// The payload of a chunk file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChunkBody {
    /// The metric key (checked against the directory on decode).
    pub metric: String,
    /// Series, ascending by run.
    pub series: Vec<EncodedSeries>,
}

/// Encodes one run's series.
pub fn encode_series(run: u32, series: &MetricSeries) -> EncodedSeries {
    EncodedSeries {
        run,
        step_deltas: deltas(series.steps.iter().copied()),
        value_planes: split_planes(&series.values),
        time_deltas: series
            .times
            .as_ref()
            .map(|times| deltas(times.iter().map(|t| t.to_bits() as i64))),
    }
}

/// Decodes one series, checking that its columns agree in length.
pub fn decode_series(encoded: &EncodedSeries) -> Result<MetricSeries, BundleError> {
    let n = encoded.step_deltas.len();
    if encoded.value_planes.len() != n * 8 {
        return Err(BundleError::Corrupt(format!(
            "series of run {}: {} steps but {} value bytes",
            encoded.run,
            n,
            encoded.value_planes.len()
        )));
    }
    let times = match &encoded.time_deltas {
        Some(d) if d.len() != n => {
            return Err(BundleError::Corrupt(format!(
                "series of run {}: {} steps but {} times",
                encoded.run,
                n,
                d.len()
            )));
        }
        Some(d) => Some(
            undeltas(d)
                .map(|bits| f64::from_bits(bits as u64))
                .collect(),
        ),
        None => None,
    };
    Ok(MetricSeries {
        steps: undeltas(&encoded.step_deltas).collect(),
        values: join_planes(&encoded.value_planes, n),
        times,
    })
}

fn deltas(values: impl Iterator<Item = i64>) -> Vec<i64> {
    let mut previous = 0i64;
    values
        .map(|v| {
            let d = v.wrapping_sub(previous);
            previous = v;
            d
        })
        .collect()
}

fn undeltas(deltas: &[i64]) -> impl Iterator<Item = i64> + '_ {
    deltas.iter().scan(0i64, |acc, &d| {
        *acc = acc.wrapping_add(d);
        Some(*acc)
    })
}

fn split_planes(values: &[f64]) -> Vec<u8> {
    let n = values.len();
    let mut planes = vec![0u8; n * 8];
    for (i, v) in values.iter().enumerate() {
        for (k, byte) in v.to_bits().to_le_bytes().into_iter().enumerate() {
            planes[k * n + i] = byte;
        }
    }
    planes
}

fn join_planes(planes: &[u8], n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| {
            let mut bytes = [0u8; 8];
            for (k, byte) in bytes.iter_mut().enumerate() {
                *byte = planes[k * n + i];
            }
            f64::from_bits(u64::from_le_bytes(bytes))
        })
        .collect()
}
