//! Overview levels in a bundle: written for chunks of long series, decoded to exactly the
//! points the level builder picks (bit for bit, times included), and checked on read.

use runlens_core::bundle::{self, level};
use runlens_core::{Archive, MetricSeries, Run};

fn archive() -> Archive {
    let mut runs = Vec::new();
    for r in 0..3 {
        let mut run = Run {
            id: format!("r{r}"),
            name: format!("r{r}"),
            source: "jsonl".into(),
            ..Run::default()
        };
        let mut loss = MetricSeries::default();
        let mut lr = MetricSeries::default();
        for step in 0..10_000i64 {
            let x = step as f64;
            let value = if step == 4321 + r {
                f64::NAN
            } else {
                (-x / 3000.0).exp() + 0.01 * (x * 1.7 + r as f64).sin()
            };
            loss.push(step, value, Some(1.7e9 + x * 0.25));
            if step < 100 {
                lr.push(step, 0.1 / (1.0 + x), None);
            }
        }
        loss.values[7777] = 50.0;
        run.metrics.insert("loss".into(), loss);
        run.metrics.insert("lr".into(), lr);
        runs.push(run);
    }
    let mut archive = Archive {
        runs,
        ..Archive::default()
    };
    archive.finish();
    archive
}

#[test]
fn levels_round_trip_as_the_builder_picks_them() {
    let archive = archive();
    // Chunks of at most ~20k points: two chunks of loss (two runs, then one), one of lr.
    let encoded = bundle::encode(&archive, "t", 20_000);
    let table = bundle::decode_index(&encoded.index).unwrap();
    assert_eq!(table.chunks.len(), 3);
    assert_eq!(table.levels.len(), 2, "only the loss chunks have levels");
    assert_eq!(encoded.levels.len(), 2);
    assert!(encoded.level_bytes() > 0);
    for (id, level_ref) in table.levels.iter().enumerate() {
        assert_eq!(level_ref.id as usize, id);
        assert_eq!(level_ref.buckets as usize, level::LEVEL_BUCKETS);
        assert_eq!(
            bundle::level_of_chunk(&table, level_ref.chunk),
            Some(level_ref)
        );
        let chunk = &table.chunks[level_ref.chunk as usize];
        assert_eq!(table.metrics[chunk.metric as usize].key, "loss");
        let decoded = bundle::decode_level(&table, level_ref, &encoded.levels[id]).unwrap();
        assert_eq!(
            decoded.iter().map(|(r, _)| *r).collect::<Vec<_>>(),
            chunk.runs
        );
        for (row, series) in &decoded {
            let full = &archive.runs[*row as usize].metrics["loss"];
            let expected = level::level_of(full, level::LEVEL_BUCKETS).unwrap();
            assert_eq!(series.steps, expected.steps);
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&series.values), bits(&expected.values));
            assert_eq!(
                bits(series.times.as_deref().unwrap()),
                bits(expected.times.as_deref().unwrap())
            );
            assert!(series.values.contains(&50.0), "the spike is in the level");
            assert!(series.values.iter().any(|v| v.is_nan()), "so is the gap");
            assert!(series.len() * 4 < full.len());
        }
    }
    let lr_chunk = table.metrics[1].chunks[0];
    assert_eq!(bundle::level_of_chunk(&table, lr_chunk), None);
    // The whole bundle still decodes (levels checked) to every point of the archive.
    assert_eq!(
        bundle::decode(&encoded).unwrap().point_count(),
        archive.point_count()
    );
}

#[test]
fn a_level_is_checked_against_its_directory_entry() {
    let encoded = bundle::encode(&archive(), "t", 20_000);
    let table = bundle::decode_index(&encoded.index).unwrap();
    let level_ref = &table.levels[0];
    // A chunk file is not a level file, even with the right points.
    let chunk = &encoded.chunks[level_ref.chunk as usize];
    assert!(bundle::decode_level(&table, level_ref, chunk).is_err());
    // Another level (other runs) is refused.
    let mut other = table.levels[1].clone();
    other.id = 0;
    other.chunk = level_ref.chunk;
    assert!(bundle::decode_level(&table, &other, &encoded.levels[1]).is_err());
    // A level directory out of order is refused when the index is read.
    let mut bad = table.clone();
    bad.levels.swap(0, 1);
    assert!(bad.validate().is_err());
    let mut missing = encoded.clone();
    missing.levels.pop();
    assert!(bundle::decode(&missing).is_err());
}
