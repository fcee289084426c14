//! The DVCLive reader on folders written here: what it claims, how runs are named, and
//! damaged files. The real files written by `dvclive` are tested in `tests/dvclive.rs`.
