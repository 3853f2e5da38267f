//! libFuzzer entry point for [`invsync_fuzz::csv_history_long`].

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    invsync_fuzz::csv_history_long(data);
});
