//! The bundle decoder on arbitrary bytes, each input tried as an index, a chunk (reading the
//! seed's clocks), an overview level, a clock file and a detail file, both as a whole file
//! and as the payload of a valid envelope (so the mutations reach postcard and the chunk
//! codec behind the checksum). A table that decodes validates, so its accessors never index
//! out of range.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use runlens_core::bundle::{self, Clock, FileKind, RunTable};
use runlens_fuzz::seal_stored;

/// The index of the seed bundle (`examples/bundle_seeds.rs`: three runs, several chunks, an
/// overview level, a detail file): the chunk, level and detail inputs are decoded against
/// its directory entries.
fn table() -> &'static RunTable {
    static TABLE: OnceLock<RunTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        let index = include_bytes!("../corpus/bundle_decode/index.rlb");
        bundle::decode_index(index).expect("the seed index decodes")
    })
}

/// The seed bundle's one clock file, decoded: what chunk inputs in clock form read.
fn clocks() -> &'static Vec<(u32, Clock)> {
    static CLOCKS: OnceLock<Vec<(u32, Clock)>> = OnceLock::new();
    CLOCKS.get_or_init(|| {
        let bytes = include_bytes!("../corpus/bundle_decode/clock-0.rlb");
        bundle::decode_clock(&table().clocks[0], bytes).expect("the seed clock file decodes")
    })
}

fn use_table(table: &RunTable) {
    for row in 0..table.len() {
        let run = table.run_without_series(row);
        assert_eq!(run.id, table.ids[row]);
        let _ = table.parent(row);
        for (i, column) in table.params.iter().enumerate() {
            let _ = table.param_text(i, row);
            let _ = column.cells[row].clone();
        }
        for column in &table.metrics {
            let _ = column.summary(row);
        }
    }
    let _ = bundle::points_per_metric(table);
    // A decoded directory only names chunks that exist: looking a level's chunk up (as
    // decoding it does) never indexes out of range.
    for level in &table.levels {
        assert_eq!(
            bundle::level_of_chunk(table, level.chunk).map(|l| l.id),
            Some(level.id)
        );
        let _ = bundle::decode_level(table, level, &[]);
    }
    // A decoded directory only names clock files that exist.
    for chunk in &table.chunks {
        assert!(
            chunk
                .clocks
                .iter()
                .all(|&id| (id as usize) < table.clocks.len())
        );
    }
    for row in 0..table.len() as u32 {
        if let Some(id) = bundle::clock::clock_file_of(&table.clocks, row) {
            assert!(table.clocks[id as usize].runs.contains(&row));
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let sealed = [
        seal_stored(FileKind::Index, data),
        seal_stored(FileKind::Chunk, data),
        seal_stored(FileKind::Detail, data),
        seal_stored(FileKind::Level, data),
        seal_stored(FileKind::Clock, data),
    ];
    for bytes in [data, &sealed[0]] {
        if let Ok(table) = bundle::decode_index(bytes) {
            use_table(&table);
        }
    }
    let table = table();
    let seed_clocks: &[(u32, Clock)] = clocks();
    for bytes in [data, &sealed[1]] {
        for chunk in &table.chunks {
            let files = vec![seed_clocks; chunk.clocks.len()];
            if let Ok(series) = bundle::decode_chunk(table, chunk, bytes, &files) {
                let points: usize = series.iter().map(|(_, s)| s.len()).sum();
                assert_eq!(points as u64, chunk.points);
            }
        }
    }
    for bytes in [data, &sealed[3]] {
        for level in &table.levels {
            if let Ok(series) = bundle::decode_level(table, level, bytes) {
                let points: usize = series.iter().map(|(_, s)| s.len()).sum();
                assert_eq!(points as u64, level.points);
            }
        }
    }
    for bytes in [data, &sealed[4]] {
        for clock in &table.clocks {
            if let Ok(clocks) = bundle::decode_clock(clock, bytes) {
                let points: usize = clocks.iter().map(|(_, c)| c.len()).sum();
                assert_eq!(points as u64, clock.points);
                assert!(clocks.iter().all(|(_, c)| c.steps.len() == c.times.len()));
            }
        }
    }
    for bytes in [data, &sealed[2]] {
        for detail in &table.details {
            let _ = bundle::details::decode_detail(detail, bytes);
        }
    }
});
