//! Turning summary values into runlens values: a scalar out of a one-element numeric
//! tensor in any of the encodings writers use, text out of a string tensor, and typed
//! params out of the `hparams` plugin's `google.protobuf.Value`s.

use runlens_core::ParamValue;

use super::proto::{HistogramProto, ProtoKind, ProtoValue, TensorProto, dtype};

/// The value of a tensor holding exactly one number (rank 0, or every dimension 1), read
/// from `tensor_content` (raw little-endian bytes) or from the typed repeated field of its
/// dtype. `None` for anything else: strings, several elements (histograms, the empty
/// `hparams` tensors), unknown dtypes, inconsistent content.
pub fn tensor_scalar(tensor: &TensorProto) -> Option<f64> {
    if !has_one_element(tensor) {
        return None;
    }
    let content = tensor.tensor_content.as_slice();
    if !content.is_empty() {
        return from_content(tensor.dtype, content);
    }
    match tensor.dtype {
        dtype::FLOAT => tensor.float_val.first().map(|&v| f64::from(v)),
        dtype::DOUBLE => tensor.double_val.first().copied(),
        dtype::INT32 | dtype::INT16 | dtype::INT8 | dtype::UINT8 | dtype::UINT16 => {
            tensor.int_val.first().map(|&v| f64::from(v))
        }
        dtype::INT64 => tensor.int64_val.first().map(|&v| v as f64),
        dtype::UINT32 => tensor.uint32_val.first().map(|&v| f64::from(v)),
        dtype::UINT64 => tensor.uint64_val.first().map(|&v| v as f64),
        dtype::BOOL => tensor.bool_val.first().map(|&v| f64::from(u8::from(v))),
        // The 16-bit patterns live in the low half of each int32.
        dtype::HALF => tensor.half_val.first().map(|&v| f16_to_f64(v as u16)),
        dtype::BFLOAT16 => tensor
            .half_val
            .first()
            .map(|&v| f64::from(f32::from_bits(u32::from(v as u16) << 16))),
        _ => None,
    }
}

/// Whether the shape has exactly one element.
fn has_one_element(tensor: &TensorProto) -> bool {
    match &tensor.tensor_shape {
        // No shape message: rank 0.
        None => true,
        Some(shape) => !shape.unknown_rank && shape.dim.iter().all(|d| d.size == 1),
    }
}

/// One element of `dtype` from raw little-endian bytes; `None` when the byte count is not
/// exactly one element's.
fn from_content(dtype: i32, content: &[u8]) -> Option<f64> {
    Some(match dtype {
        dtype::FLOAT => f64::from(f32::from_le_bytes(content.try_into().ok()?)),
        dtype::DOUBLE => f64::from_le_bytes(content.try_into().ok()?),
        dtype::INT32 => f64::from(i32::from_le_bytes(content.try_into().ok()?)),
        dtype::INT64 => i64::from_le_bytes(content.try_into().ok()?) as f64,
        dtype::INT16 => f64::from(i16::from_le_bytes(content.try_into().ok()?)),
        dtype::INT8 => f64::from(i8::from_le_bytes(content.try_into().ok()?)),
        dtype::UINT8 => f64::from(u8::from_le_bytes(content.try_into().ok()?)),
        dtype::UINT16 => f64::from(u16::from_le_bytes(content.try_into().ok()?)),
        dtype::UINT32 => f64::from(u32::from_le_bytes(content.try_into().ok()?)),
        dtype::UINT64 => u64::from_le_bytes(content.try_into().ok()?) as f64,
        dtype::BOOL => f64::from(u8::from(*<&[u8; 1]>::try_from(content).ok()? != [0])),
        dtype::HALF => f16_to_f64(u16::from_le_bytes(content.try_into().ok()?)),
        dtype::BFLOAT16 => {
            let bits = u16::from_le_bytes(content.try_into().ok()?);
            f64::from(f32::from_bits(u32::from(bits) << 16))
        }
        _ => return None,
    })
}

/// IEEE 754 half precision to double, infinities and NaN included.
pub fn f16_to_f64(bits: u16) -> f64 {
    let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exponent = i32::from((bits >> 10) & 0x1F);
    let fraction = f64::from(bits & 0x3FF);
    let magnitude = match exponent {
        0 => fraction * 2f64.powi(-24),
        0x1F if fraction == 0.0 => f64::INFINITY,
        0x1F => f64::NAN,
        _ => (1.0 + fraction / 1024.0) * 2f64.powi(exponent - 15),
    };
    sign * magnitude
}

/// The text of a string tensor: its elements (UTF-8, invalid bytes replaced) joined by
/// newlines. `None` for a tensor that is not of strings.
pub fn tensor_text(tensor: &TensorProto) -> Option<String> {
    if tensor.dtype != dtype::STRING {
        return None;
    }
    let parts: Vec<_> = tensor
        .string_val
        .iter()
        .map(|s| String::from_utf8_lossy(s))
        .collect();
    Some(parts.join("\n"))
}

/// A `google.protobuf.Value` as a param: whole numbers that a double holds exactly become
/// integers, other numbers floats (NaN and infinities kept); `None` for a null or a list or
/// struct value (not read).
pub fn param_value(value: &ProtoValue) -> Option<ParamValue> {
    Some(match value.kind.as_ref()? {
        ProtoKind::Null(_) => return None,
        ProtoKind::Number(x) => {
            // 2^53: beyond it a double no longer holds every integer.
            if x.fract() == 0.0 && x.abs() <= 9_007_199_254_740_992.0 {
                ParamValue::Int(*x as i64)
            } else {
                ParamValue::Float(*x)
            }
        }
        ProtoKind::Text(s) => ParamValue::Text(s.clone()),
        ProtoKind::Bool(b) => ParamValue::Bool(*b),
    })
}

/// The elements of a float32 or float64 tensor, from `tensor_content` or the value lists;
/// `None` for other types.
pub fn tensor_floats(tensor: &TensorProto) -> Option<Vec<f64>> {
    let content = tensor.tensor_content.as_slice();
    match tensor.dtype {
        dtype::DOUBLE if !content.is_empty() => Some(
            content
                .chunks_exact(8)
                .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")))
                .collect(),
        ),
        dtype::FLOAT if !content.is_empty() => Some(
            content
                .chunks_exact(4)
                .map(|b| f64::from(f32::from_le_bytes(b.try_into().expect("4 bytes"))))
                .collect(),
        ),
        dtype::DOUBLE => Some(tensor.double_val.clone()),
        dtype::FLOAT => Some(tensor.float_val.iter().map(|&v| f64::from(v)).collect()),
        _ => None,
    }
}

/// A TF1/tensorboardX `HistogramProto` as edges and counts: the first bucket starts at the
/// histogram's min, and the last limit (often ±f64::MAX, "up to infinity") ends at its max.
pub fn histogram_of_proto(histo: &HistogramProto) -> Option<(Vec<f64>, Vec<f64>)> {
    let n = histo.bucket.len();
    if n == 0 || histo.bucket_limit.len() != n {
        return None;
    }
    let mut edges = Vec::with_capacity(n + 1);
    edges.push(histo.min.min(histo.bucket_limit[0]));
    for (i, &limit) in histo.bucket_limit.iter().enumerate() {
        let edge = if i + 1 == n && limit.abs() >= f64::MAX / 2.0 {
            histo.max.max(edges[i])
        } else {
            limit
        };
        edges.push(edge);
    }
    Some((edges, histo.bucket.clone()))
}

/// A TF2 `tf.summary.histogram` tensor (`[k, 3]` rows of left edge, right edge, count) as
/// edges and counts.
pub fn histogram_of_tensor(tensor: &TensorProto) -> Option<(Vec<f64>, Vec<f64>)> {
    let values = tensor_floats(tensor)?;
    if values.is_empty() || values.len() % 3 != 0 {
        return None;
    }
    let rows: Vec<&[f64]> = values.chunks_exact(3).collect();
    let mut edges: Vec<f64> = rows.iter().map(|r| r[0]).collect();
    edges.push(rows[rows.len() - 1][1]);
    Some((edges, rows.iter().map(|r| r[2]).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensorboard::proto::{Dim, TensorShapeProto};

    fn tensor(dtype: i32) -> TensorProto {
        TensorProto {
            dtype,
            ..TensorProto::default()
        }
    }

    #[test]
    fn every_scalar_encoding_reads() {
        let mut t = tensor(dtype::FLOAT);
        t.tensor_content = 0.5f32.to_le_bytes().to_vec();
        assert_eq!(tensor_scalar(&t), Some(0.5));
        t.tensor_content = f32::INFINITY.to_le_bytes().to_vec();
        assert_eq!(tensor_scalar(&t), Some(f64::INFINITY));
        t.tensor_content = f32::NAN.to_le_bytes().to_vec();
        assert!(tensor_scalar(&t).is_some_and(f64::is_nan));
        let mut t = tensor(dtype::DOUBLE);
        t.double_val = vec![-2.25];
        assert_eq!(tensor_scalar(&t), Some(-2.25));
        let mut t = tensor(dtype::INT64);
        t.int64_val = vec![-7];
        assert_eq!(tensor_scalar(&t), Some(-7.0));
        let mut t = tensor(dtype::HALF);
        t.half_val = vec![0x3C00]; // 1.0
        assert_eq!(tensor_scalar(&t), Some(1.0));
        t.half_val = vec![0xFC00]; // -inf
        assert_eq!(tensor_scalar(&t), Some(f64::NEG_INFINITY));
        t.half_val = vec![0x0001]; // smallest subnormal
        assert_eq!(tensor_scalar(&t), Some(2f64.powi(-24)));
    }

    #[test]
    fn tensors_of_several_elements_or_wrong_sizes_are_not_scalars() {
        let mut t = tensor(dtype::DOUBLE);
        t.tensor_shape = Some(TensorShapeProto {
            dim: vec![Dim { size: 30 }, Dim { size: 3 }],
            unknown_rank: false,
        });
        t.tensor_content = vec![0; 30 * 3 * 8];
        assert_eq!(tensor_scalar(&t), None);
        let mut t = tensor(dtype::FLOAT);
        t.tensor_shape = Some(TensorShapeProto {
            dim: vec![Dim { size: 0 }],
            unknown_rank: false,
        });
        assert_eq!(tensor_scalar(&t), None);
        let mut t = tensor(dtype::FLOAT);
        t.tensor_content = vec![0; 3];
        assert_eq!(tensor_scalar(&t), None);
        assert_eq!(tensor_scalar(&tensor(dtype::STRING)), None);
    }

    #[test]
    fn params_are_typed() {
        let v = |kind| ProtoValue { kind: Some(kind) };
        assert_eq!(
            param_value(&v(ProtoKind::Number(32.0))),
            Some(ParamValue::Int(32))
        );
        assert_eq!(
            param_value(&v(ProtoKind::Number(0.001))),
            Some(ParamValue::Float(0.001))
        );
        assert_eq!(
            param_value(&v(ProtoKind::Bool(true))),
            Some(ParamValue::Bool(true))
        );
        assert_eq!(param_value(&ProtoValue { kind: None }), None);
    }
}
