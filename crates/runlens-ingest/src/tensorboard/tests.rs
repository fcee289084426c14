//! Tests of the TensorBoard reader on event files written by the real packages.
