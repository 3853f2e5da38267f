//! libFuzzer entry point for [`invsync_fuzz::json_plan_config`].

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    invsync_fuzz::json_plan_config(data);
});
