//! Fuzz target: arbitrary `--set PATH=VALUE` arguments applied to a bundled scenario.
#![no_main]

#[path = "../exercise.rs"]
mod exercise;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    exercise::set_override(data);
});
