//! Workflows: deterministic orchestration only; all I/O happens in activities.

pub mod discovery;
pub mod ping;
pub mod sync;
