//! Skilldex shared domain: everything the api and the worker both need, without HTTP or
//! Temporal worker machinery.

pub mod archive;
pub mod build;
pub mod config;
pub mod db;
pub mod discovery;
pub mod github;
pub mod index;
pub mod package;
pub mod registration;
pub mod schedules;
pub mod shutdown;
pub mod spec;
pub mod storage;
pub mod sync;
pub mod telemetry;
pub mod temporal;
pub mod tree;
pub mod workflows;
