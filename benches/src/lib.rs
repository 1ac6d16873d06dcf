//! Side-by-side benchmarks of `jobs` against peer crates.
