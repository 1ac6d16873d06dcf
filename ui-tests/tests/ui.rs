//! Runs `fail/*.rs`, which must not compile and must print exactly their `.stderr`, and
//! `pass/*.rs`, which must compile and run.
//!
//! After a deliberate change of a message, regenerate with
//! `TRYBUILD=overwrite cargo test -p jobs-ui-tests --test ui` and review every changed `.stderr`;
//! never edit one by hand.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("fail/*.rs");
    cases.pass("pass/*.rs");
}
