//! Search latency benchmark (placeholder replaced by the benchmark work).
fn main() {}
