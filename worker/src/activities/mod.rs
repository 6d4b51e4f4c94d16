//! Activities: every piece of I/O a workflow needs. Retries, timeouts and heartbeats are
//! set by the workflow that calls them.

pub mod discovery;
pub mod ping;
pub mod sync;
