#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| migcheck_fuzz::checks::pipeline(data));
