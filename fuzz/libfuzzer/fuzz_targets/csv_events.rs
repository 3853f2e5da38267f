//! libFuzzer entry point for [`invsync_fuzz::csv_events`].

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    invsync_fuzz::csv_events(data);
});
