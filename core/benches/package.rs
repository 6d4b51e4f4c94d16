//! Placeholder; replaced by the packaging benchmark.
fn main() {}
