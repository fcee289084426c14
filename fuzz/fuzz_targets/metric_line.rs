//! One line of an MLflow file store metric file: a parsed line has 2, 3 or 5 fields, and
//! the point it gives, written back as a line, parses to the same bits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use runlens_ingest::in_memory::mlflow_metric_line;

fuzz_target!(|data: &[u8]| {
    let Ok(line) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(point) = mlflow_metric_line(line) else {
        return;
    };
    let fields = line.split_whitespace().count();
    assert!(matches!(fields, 2 | 3 | 5), "{fields} fields accepted");
    let again = mlflow_metric_line(&format!(
        "{} {} {}",
        point.timestamp_ms, point.value, point.step
    ))
    .expect("a written point parses");
    assert_eq!(again.timestamp_ms, point.timestamp_ms);
    assert_eq!(again.step, point.step);
    assert!(
        again.value.to_bits() == point.value.to_bits()
            || (again.value.is_nan() && point.value.is_nan()),
        "{} became {}",
        point.value,
        again.value
    );
});
