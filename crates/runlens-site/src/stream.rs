//! The clock, chunk and level files of a report written as the bundle encoder makes them
//! ([`runlens_core::bundle::ChunkSink`]), so that a build never holds the encoded metric
//! data whole: into the site's staging directory ([`SiteStage`], committed by
//! [`crate::finish_site`]), or, for the single file, into an unnamed temporary file
//! ([`ChunkSpool`]) from which [`crate::write_single_file_spooled`] streams them, base64
//! encoded, into the page as it is written.

use std::fmt;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use base64::Engine;
use runlens_core::bundle::ChunkSink;

use crate::SiteError;
use crate::write::StagedDir;

/// A multi-file site being assembled in its staging directory (holding the output's lock);
/// clock, chunk and level files go there as they are encoded.
pub struct SiteStage {
    pub(crate) staged: StagedDir,
    /// Bytes of the clock, chunk and level files written so far.
    pub(crate) data_bytes: u64,
}

impl SiteStage {
    /// Starts the site that will replace `out_dir`.
    pub fn new(out_dir: &Path) -> Result<SiteStage, SiteError> {
        Ok(SiteStage {
            staged: StagedDir::new(out_dir)?,
            data_bytes: 0,
        })
    }
}

impl SiteStage {
    /// Writes a chunk or level file at `relative`, counted in the data bytes.
    pub(crate) fn write_data(&mut self, relative: &str, bytes: &[u8]) -> Result<(), SiteError> {
        self.data_bytes += bytes.len() as u64;
        self.staged.write(relative, bytes)
    }
}

impl ChunkSink for SiteStage {
    type Error = SiteError;

    fn clock(&mut self, id: u32, bytes: Vec<u8>) -> Result<(), SiteError> {
        self.write_data(&format!("data/clocks/{id}.rlb"), &bytes)
    }

    fn chunk(&mut self, id: u32, bytes: Vec<u8>) -> Result<(), SiteError> {
        self.write_data(&format!("data/chunks/{id}.rlb"), &bytes)
    }

    fn level(&mut self, id: u32, bytes: Vec<u8>) -> Result<(), SiteError> {
        self.write_data(&format!("data/levels/{id}.rlb"), &bytes)
    }
}

/// Chunk and level files kept in an unnamed temporary file (gone when it is dropped, also
/// when the build is killed) until the single file is written.
pub struct ChunkSpool {
    file: Mutex<File>,
    dir: PathBuf,
    written: u64,
    /// Offset and length of each chunk file, by id.
    pub(crate) chunks: Vec<(u64, u64)>,
    /// Offset and length of each level file, by id.
    pub(crate) levels: Vec<(u64, u64)>,
    /// Offset and length of each clock file, by id.
    pub(crate) clocks: Vec<(u64, u64)>,
}

impl ChunkSpool {
    /// An empty spool in `dir` (beside the output, where there is room for the report).
    pub fn new_in(dir: &Path) -> Result<ChunkSpool, SiteError> {
        std::fs::create_dir_all(dir).map_err(|e| SiteError::io(dir, e))?;
        let file = tempfile::tempfile_in(dir).map_err(|e| SiteError::io(dir, e))?;
        Ok(ChunkSpool {
            file: Mutex::new(file),
            dir: dir.to_path_buf(),
            written: 0,
            chunks: Vec::new(),
            levels: Vec::new(),
            clocks: Vec::new(),
        })
    }

    fn append(&mut self, bytes: &[u8]) -> Result<(u64, u64), SiteError> {
        let at = self.written;
        let file = self.file.get_mut().unwrap_or_else(|e| e.into_inner());
        file.write_all(bytes).map_err(|e| self.error(e))?;
        self.written += bytes.len() as u64;
        Ok((at, bytes.len() as u64))
    }

    fn error(&self, source: io::Error) -> SiteError {
        SiteError::io(
            &self.dir.join("(temporary file of the encoded chunks)"),
            source,
        )
    }

    /// One spooled file as base64 text for the template; a read error is kept in `failure`.
    pub(crate) fn part<'a>(
        &'a self,
        (offset, len): (u64, u64),
        failure: &'a Mutex<Option<SiteError>>,
    ) -> Base64Part<'a> {
        Base64Part::Spooled {
            spool: self,
            offset,
            len,
            failure,
        }
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        file.seek(SeekFrom::Start(offset))?;
        file.read_exact(buf)
    }
}

impl ChunkSink for ChunkSpool {
    type Error = SiteError;

    fn clock(&mut self, _id: u32, bytes: Vec<u8>) -> Result<(), SiteError> {
        let place = self.append(&bytes)?;
        self.clocks.push(place);
        Ok(())
    }

    fn chunk(&mut self, _id: u32, bytes: Vec<u8>) -> Result<(), SiteError> {
        let place = self.append(&bytes)?;
        self.chunks.push(place);
        Ok(())
    }

    fn level(&mut self, _id: u32, bytes: Vec<u8>) -> Result<(), SiteError> {
        let place = self.append(&bytes)?;
        self.levels.push(place);
        Ok(())
    }
}

/// Bytes read from the spool per base64 step (a multiple of 3, so the pieces join).
const STEP: usize = 3 << 16;

/// One inlined file of the single-file page, written as base64 when the page is rendered.
pub(crate) enum Base64Part<'a> {
    /// Bytes in memory.
    Held(&'a [u8]),
    /// Bytes in the spool, read back piece by piece while the page is written.
    Spooled {
        spool: &'a ChunkSpool,
        offset: u64,
        len: u64,
        failure: &'a Mutex<Option<SiteError>>,
    },
}

impl Base64Part<'_> {
    /// Length of the base64 text.
    pub(crate) fn text_len(&self) -> u64 {
        let n = match self {
            Base64Part::Held(bytes) => bytes.len() as u64,
            Base64Part::Spooled { len, .. } => *len,
        };
        n.div_ceil(3) * 4
    }
}

impl fmt::Display for Base64Part<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let engine = &base64::engine::general_purpose::STANDARD;
        let mut text = String::new();
        match self {
            Base64Part::Held(bytes) => {
                for piece in bytes.chunks(STEP) {
                    text.clear();
                    engine.encode_string(piece, &mut text);
                    f.write_str(&text)?;
                }
            }
            Base64Part::Spooled {
                spool,
                offset,
                len,
                failure,
            } => {
                let mut buf = vec![0u8; STEP];
                let mut done = 0u64;
                while done < *len {
                    let n = (*len - done).min(STEP as u64) as usize;
                    if let Err(e) = spool.read_at(offset + done, &mut buf[..n]) {
                        *failure.lock().unwrap_or_else(|p| p.into_inner()) = Some(spool.error(e));
                        return Err(fmt::Error);
                    }
                    text.clear();
                    engine.encode_string(&buf[..n], &mut text);
                    f.write_str(&text)?;
                    done += n as u64;
                }
            }
        }
        Ok(())
    }
}

/// A writer that counts the bytes it passes on.
pub(crate) struct Counting<W> {
    pub(crate) inner: W,
    pub(crate) bytes: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spooled_parts_are_the_base64_of_the_bytes_across_read_steps() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = ChunkSpool::new_in(dir.path()).unwrap();
        let big: Vec<u8> = (0..STEP * 2 + 7).map(|i| (i * 31 % 251) as u8).collect();
        for (id, bytes) in [vec![1u8, 2], big.clone(), Vec::new()]
            .into_iter()
            .enumerate()
        {
            spool.chunk(id as u32, bytes).unwrap();
        }
        spool.level(0, vec![9u8; 4]).unwrap();
        spool.clock(0, vec![7u8; 5]).unwrap();
        let failure = Mutex::new(None);
        let engine = &base64::engine::general_purpose::STANDARD;
        let texts: Vec<String> = spool
            .chunks
            .iter()
            .map(|&place| spool.part(place, &failure).to_string())
            .collect();
        assert_eq!(texts[0], engine.encode([1u8, 2]));
        assert_eq!(texts[1], engine.encode(&big));
        assert_eq!(texts[2], "");
        assert_eq!(
            spool.part(spool.levels[0], &failure).to_string(),
            engine.encode([9u8; 4])
        );
        assert_eq!(
            spool.part(spool.clocks[0], &failure).to_string(),
            engine.encode([7u8; 5])
        );
        let held = Base64Part::Held(&big);
        assert_eq!(held.to_string(), texts[1]);
        assert_eq!(held.text_len(), texts[1].len() as u64);
        assert!(failure.lock().unwrap().is_none());
    }
}
