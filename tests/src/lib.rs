//! End-to-end and browser tests of runlens live in tests/*.rs.
