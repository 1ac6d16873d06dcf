//! Compile-fail and compile-pass tests of `#[job]`; see `tests/ui.rs`.
