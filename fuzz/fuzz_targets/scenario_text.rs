//! Fuzz target: arbitrary bytes as a scenario file.
#![no_main]

#[path = "../exercise.rs"]
mod exercise;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    exercise::scenario_text(data);
});
