//! Chunk codec tests: round trips, files built by hand from the spec, clock form, damage.

use proptest::prelude::*;

use super::*;

fn sample() -> Vec<(u32, MetricSeries)> {
    let mut out = Vec::new();
    for run in 0..4u32 {
        let mut series = MetricSeries::default();
        for step in 0..50i64 {
            let value = match run {
                0 => f64::from(step as f32 * 0.25),
                1 => (step as f64 * 0.37).sin(),
                _ => f64::from(step as i32 * 7 % 13) / 100.0,
            };
            let time = (step != 20).then_some(1_700_000_000.0 + step as f64 * 0.5);
            series.push(step * 10, value, time);
        }
        series.values[30] = f64::NAN;
        out.push((run * 2, series));
    }
    out.push((9, out[2].1.clone()));
    out
}

#[test]
fn chunks_round_trip_and_check_the_directory() {
    let series = sample();
    let refs: Vec<(u32, &MetricSeries)> = series.iter().map(|(r, s)| (*r, s)).collect();
    let bytes = encode("loss", &refs, &RunClocks::default()).0;
    let decoded = decode(&bytes, "loss", 250, &[]).unwrap();
    let bits = |s: &MetricSeries| {
        let times = s.times.iter().flatten().map(|t| t.to_bits());
        (
            s.steps.clone(),
            s.values
                .iter()
                .map(|v| v.to_bits())
                .chain(times)
                .collect::<Vec<_>>(),
        )
    };
    for ((run, a), (run_back, b)) in series.iter().zip(&decoded) {
        assert_eq!(run, run_back);
        assert_eq!(bits(a), bits(b));
    }
    assert!(decode(&bytes, "acc", 250, &[]).is_err());
    assert!(decode(&bytes, "loss", 249, &[]).is_err());
    assert!(decode(&bytes, "loss", 251, &[]).is_err());
}

/// A chunk written by hand from `docs/bundle-format.md` §4 (v5): runs as gaps, and the
/// first anchor of each float column with a transform of order ≥ 1 as the difference
/// from the previous such column's first integer of the same kind.
#[test]
fn a_chunk_built_from_the_spec_decodes() {
    let zz = ints::zigzag;
    let bits = |x: f64| x.to_bits() as i64;
    let mut table = Vec::new();
    put_varint(&mut table, 2); // S
    table.extend([0u8; 7]); // every block of width 0: no residual outside the table
    let t0 = 1_700_000_000_000i64;
    // (run gap, first time, the previous first time, values, the previous first value)
    for (gap, first_time, previous_time, values, previous_value) in [
        (3u64, t0, 0, [1.5, 1.25], 0),
        (3, t0 + 60_000, t0, [2.0, 1.0], bits(1.5)),
    ] {
        put_varint(&mut table, gap);
        put_varint(&mut table, 2); // n
        table.push(2); // steps: delta of delta, anchors 0 and 1
        put_varint(&mut table, zz(0));
        put_varint(&mut table, zz(1));
        table.extend([0x22, 3, 0]); // times: decimal, delta of delta, 10^-3, no exceptions
        put_varint(&mut table, zz(first_time - previous_time));
        put_varint(&mut table, zz(250));
        table.push(0x24); // values: f64 bits, delta of delta
        put_varint(&mut table, zz(bits(values[0]).wrapping_sub(previous_value)));
        put_varint(
            &mut table,
            zz(bits(values[1]).wrapping_sub(bits(values[0]))),
        );
    }
    let mut payload = vec![1, b'm'];
    streams::put(&mut payload, &table);
    streams::put(&mut payload, &[]);
    streams::put(&mut payload, &[]);
    let decoded = decode(
        &container::seal_stored(FileKind::Chunk, &payload),
        "m",
        4,
        &[],
    )
    .unwrap();
    let runs: Vec<u32> = decoded.iter().map(|(run, _)| *run).collect();
    assert_eq!(runs, [3, 7]);
    let (a, b) = (&decoded[0].1, &decoded[1].1);
    assert_eq!((&a.steps[..], &b.steps[..]), (&[0, 1][..], &[0, 1][..]));
    assert_eq!(a.values, [1.5, 1.25]);
    assert_eq!(b.values, [2.0, 1.0]);
    assert_eq!(
        a.times.as_deref(),
        Some(&[1_700_000_000.0, 1_700_000_000.25][..])
    );
    assert_eq!(
        b.times.as_deref(),
        Some(&[1_700_000_060.0, 1_700_000_060.25][..])
    );
}

#[test]
fn start_times_cost_their_difference_from_the_previous_series() {
    // 200 runs started a minute apart: each times column's first anchor is ~60,000 ms
    // from the previous one (3 varint bytes), not a 41-bit epoch (6 bytes).
    let series: Vec<(u32, MetricSeries)> = (0..200u32)
        .map(|run| {
            let mut s = MetricSeries::default();
            let start = 1_700_000_000_000i64 + i64::from(run) * 60_000 + i64::from(run % 7);
            for step in 0..20i64 {
                s.push(step, 0.5, Some((start + 250 * step) as f64 / 1e3));
            }
            (run, s)
        })
        .collect();
    let refs: Vec<(u32, &MetricSeries)> = series.iter().map(|(r, s)| (*r, s)).collect();
    let bytes = encode("m", &refs, &RunClocks::default()).0;
    let parts = crate::bundle::parts::parts(FileKind::Chunk, &bytes).unwrap();
    // Per series: run gap, n, steps (tag + anchor), times (tag, exponent, exception
    // count, two anchors of 3 + 2 bytes), values (a reference: tag + index ≤ 2 bytes).
    assert!(
        parts.table_raw <= 200 * 15,
        "{} table bytes",
        parts.table_raw
    );
    let decoded = decode(&bytes, "m", 4_000, &[]).unwrap();
    for ((run, a), (run_back, b)) in series.iter().zip(&decoded) {
        assert_eq!((run, &a.times), (run_back, &b.times));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Damage behind a valid checksum (as if the writer were broken) is an error, never
    /// a panic or a runaway allocation.
    #[test]
    fn damaged_payloads_error_instead_of_panicking(
        at in any::<prop::sample::Index>(),
        mask in 1u8..=255,
        cut in any::<prop::sample::Index>(),
    ) {
        let series = sample();
        let refs: Vec<(u32, &MetricSeries)> = series.iter().map(|(r, s)| (*r, s)).collect();
        let sealed = encode("loss", &refs, &RunClocks::default()).0;
        let mut payload = container::open(FileKind::Chunk, &sealed).unwrap();
        let at = at.index(payload.len());
        payload[at] ^= mask;
        let _ = decode(&container::seal_stored(FileKind::Chunk, &payload), "loss", 250, &[]);
        payload[at] ^= mask;
        payload.truncate(cut.index(payload.len()));
        let truncated = container::seal_stored(FileKind::Chunk, &payload);
        prop_assert!(decode(&truncated, "loss", 250, &[]).is_err());
    }
}

/// A clock file and a chunk reading it, written by hand from `docs/bundle-format.md` §4b:
/// the clock form takes the run's clock times at the series' steps, an exception replaces
/// one (a NaN with a payload), and a level may not use the form.
#[test]
fn a_clock_and_a_chunk_built_from_the_spec_decode() {
    let zz = ints::zigzag;
    let bits = |x: f64| x.to_bits() as i64;
    let t0 = 1_700_000_000_000i64;
    // The clock file: runs 1 and 4, no values columns.
    let mut table = Vec::new();
    put_varint(&mut table, 2); // S
    table.extend([0u8; 7]);
    put_varint(&mut table, 1); // run 1
    put_varint(&mut table, 4); // n
    table.push(2); // steps 0, 1, 2, 3: delta of delta, anchors 0 and 1
    put_varint(&mut table, zz(0));
    put_varint(&mut table, zz(1));
    table.extend([0x22, 3, 0]); // times: decimal 10^-3, delta of delta, no exceptions
    put_varint(&mut table, zz(t0)); // the first such column: predicted from 0
    put_varint(&mut table, zz(250));
    put_varint(&mut table, 2); // run 1 + 1 + 2 = 4
    put_varint(&mut table, 2); // n
    table.push(2); // steps 0, 2
    put_varint(&mut table, zz(0));
    put_varint(&mut table, zz(2));
    table.push(0x24); // times: f64 bits, delta of delta; first predicted from t0
    put_varint(&mut table, zz(bits(5.5).wrapping_sub(t0)));
    put_varint(&mut table, zz(bits(6.5) - bits(5.5)));
    let mut payload = vec![0]; // empty key
    streams::put(&mut payload, &table);
    streams::put(&mut payload, &[]);
    streams::put(&mut payload, &[]);
    let clock_file = container::seal_stored(FileKind::Clock, &payload);
    let clock_ref = clock::ClockRef {
        id: 0,
        runs: vec![1, 4],
        points: 6,
        bytes: clock_file.len() as u64,
    };
    let clocks = clock::decode(&clock_ref, &clock_file).unwrap();
    assert_eq!(clocks[0].1.steps, [0, 1, 2, 3]);
    assert_eq!(
        clocks[0].1.times,
        [
            1_700_000_000.0,
            1_700_000_000.25,
            1_700_000_000.5,
            1_700_000_000.75
        ]
    );
    assert_eq!((clocks[1].0, &clocks[1].1.times[..]), (4, &[5.5, 6.5][..]));

    // The chunk: run 1 at steps 1, 2, 3 (the last an exception), run 4 at steps 0, 2.
    let nan = 0x7ff8_0000_0000_beef_u64;
    let mut table = Vec::new();
    put_varint(&mut table, 2);
    table.extend([0u8; 7]);
    put_varint(&mut table, 1); // run 1
    put_varint(&mut table, 3);
    table.push(2); // steps 1, 2, 3
    put_varint(&mut table, zz(1));
    put_varint(&mut table, zz(1));
    table.extend([0x05, 1]); // times: clock form, one exception
    table.push(0x14); // values: f64 bits, delta
    put_varint(&mut table, zz(bits(1.0)));
    put_varint(&mut table, 2); // run 4
    put_varint(&mut table, 2);
    table.push(2); // steps 0, 2
    put_varint(&mut table, zz(0));
    put_varint(&mut table, zz(2));
    table.extend([0x05, 0]); // times: clock form, no exception
    table.push(0x14);
    put_varint(&mut table, zz(bits(2.0) - bits(1.0)));
    let mut payload = vec![1, b'm'];
    streams::put(&mut payload, &table);
    streams::put(&mut payload, &[2]); // the exception at position 2
    streams::put(&mut payload, &nan.to_le_bytes());
    let chunk = container::seal_stored(FileKind::Chunk, &payload);
    let files: Vec<&[(u32, Clock)]> = vec![clocks.as_slice()];
    let decoded = decode(&chunk, "m", 5, &files).unwrap();
    let (a, b) = (&decoded[0].1, &decoded[1].1);
    assert_eq!((decoded[0].0, &a.steps[..]), (1, &[1, 2, 3][..]));
    let a_times = a.times.as_deref().unwrap();
    assert_eq!(&a_times[..2], [1_700_000_000.25, 1_700_000_000.5]);
    assert_eq!(a_times[2].to_bits(), nan);
    assert_eq!(a.values, [1.0; 3]);
    assert_eq!(
        (decoded[1].0, b.times.as_deref()),
        (4, Some(&[5.5, 6.5][..]))
    );
    assert_eq!(b.values, [2.0; 2]);

    // Without the clock file, and as a level, the same bytes are refused.
    let error = decode(&chunk, "m", 5, &[]).unwrap_err().to_string();
    assert!(error.contains("clock"), "{error}");
    let level = container::seal_stored(FileKind::Level, &payload);
    let error = decode_as(FileKind::Level, &level, "m", 5, &files)
        .unwrap_err()
        .to_string();
    assert!(error.contains("clock form where none may be"), "{error}");
    // A clock file is not a chunk, nor the reverse.
    assert!(decode(&clock_file, "", 6, &files).is_err());
    assert!(clock::decode(&clock_ref, &chunk).is_err());
}

fn clocked_runs() -> Vec<(u32, MetricSeries, MetricSeries)> {
    // Two metrics a run, logged at the same steps and times; `b` every other step, with
    // one point logged later and one NaN time.
    (0..3u32)
        .map(|run| {
            let mut a = MetricSeries::default();
            let mut b = MetricSeries::default();
            for step in 0..300i64 {
                let time = (1_700_000_000_000 + i64::from(run) * 60_000 + step * 250 + step % 7)
                    as f64
                    / 1e3;
                a.push(step, (step as f64 * 0.1).sin(), Some(time));
                if step % 2 == 0 {
                    let time = match step {
                        100 => time + 0.001,
                        102 => f64::NAN,
                        _ => time,
                    };
                    b.push(step, step as f64, Some(time));
                }
            }
            (run * 3, a, b)
        })
        .collect()
}

#[test]
fn encoded_chunks_take_the_clock_form_and_round_trip() {
    let runs = clocked_runs();
    let mut clocks = RunClocks::new(9);
    let mut held = Vec::new();
    for (run, a, b) in &runs {
        // `a` twice (two metrics logged together): the clock is a's times.
        let clock = clock::clock_of([a, b, a]).unwrap();
        assert_eq!(clock.times, a.times.clone().unwrap());
        held.push((*run, clock.clone()));
        clocks.set(*run, 0, clock);
    }
    let refs: Vec<(u32, &Clock)> = held.iter().map(|(r, c)| (*r, c)).collect();
    let clock_file = clock::encode(&refs);
    let clock_ref = clock::ClockRef {
        id: 0,
        runs: vec![0, 3, 6],
        points: 900,
        bytes: clock_file.len() as u64,
    };
    let decoded_clocks = clock::decode(&clock_ref, &clock_file).unwrap();
    assert_eq!(decoded_clocks, held);
    let files: Vec<&[(u32, Clock)]> = vec![decoded_clocks.as_slice()];
    let bits =
        |s: &MetricSeries| -> Vec<u64> { s.times.iter().flatten().map(|t| t.to_bits()).collect() };
    for pick in [0, 1] {
        let series: Vec<(u32, &MetricSeries)> = runs
            .iter()
            .map(|(run, a, b)| (*run, if pick == 0 { a } else { b }))
            .collect();
        let (bytes, used) = encode("m", &series, &clocks);
        assert_eq!(used, [0]);
        let parts = crate::bundle::parts::parts(FileKind::Chunk, &bytes).unwrap();
        assert_eq!(parts.blocks[1..4], [0, 0, 0], "no times residuals");
        let points = series.iter().map(|(_, s)| s.len() as u64).sum();
        let decoded = decode(&bytes, "m", points, &files).unwrap();
        for ((run, s), (run_back, back)) in series.iter().zip(&decoded) {
            assert_eq!(
                (run, bits(s), &s.steps),
                (run_back, bits(back), &back.steps)
            );
        }
        assert!(decode(&bytes, "m", points, &[]).is_err());
    }
    // Without clocks the same series take the integer forms and need no clock file.
    let series: Vec<(u32, &MetricSeries)> = runs.iter().map(|(run, a, _)| (*run, a)).collect();
    let (bytes, used) = encode("m", &series, &RunClocks::default());
    assert!(used.is_empty());
    assert_eq!(decode(&bytes, "m", 900, &[]).unwrap().len(), 3);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// A damaged or truncated clock file is an error, never a panic.
    #[test]
    fn damaged_clock_files_error_instead_of_panicking(
        at in any::<prop::sample::Index>(),
        mask in 1u8..=255,
        cut in any::<prop::sample::Index>(),
    ) {
        let runs = clocked_runs();
        let held: Vec<(u32, Clock)> = runs
            .iter()
            .map(|(run, a, b)| (*run, clock::clock_of([a, b, a]).unwrap()))
            .collect();
        let refs: Vec<(u32, &Clock)> = held.iter().map(|(r, c)| (*r, c)).collect();
        let sealed = clock::encode(&refs);
        let clock_ref = clock::ClockRef { id: 0, runs: vec![0, 3, 6], points: 900, bytes: 0 };
        let mut payload = container::open(FileKind::Clock, &sealed).unwrap();
        let at = at.index(payload.len());
        payload[at] ^= mask;
        let _ = clock::decode(&clock_ref, &container::seal_stored(FileKind::Clock, &payload));
        payload[at] ^= mask;
        payload.truncate(cut.index(payload.len()));
        let truncated = container::seal_stored(FileKind::Clock, &payload);
        prop_assert!(clock::decode(&clock_ref, &truncated).is_err());
        prop_assert!(clock::decode(&clock_ref, &sealed[..sealed.len() - 1]).is_err());
    }
}
