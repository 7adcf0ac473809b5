//! The skim reader's contract: it accepts nothing serde_json refuses, and what it reads equals
//! what serde_json reads.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde::de::IgnoredAny;

fuzz_target!(|line: &[u8]| {
    tokenworth_fuzz::within_memory_limit(line.len(), || {
        let found = tokenworth_sources::fuzz_skim(line);
        if found.skipped {
            assert!(serde_json::from_slice::<IgnoredAny>(line).is_ok(), "skim skipped what serde refuses");
        }
        if let Some(read) = found.walked {
            assert!(serde_json::from_slice::<IgnoredAny>(line).is_ok(), "skim walked what serde refuses");
            for (raw, value) in read {
                assert!(
                    serde_json::from_slice::<IgnoredAny>(raw).is_ok(),
                    "skim took a value serde refuses: {:?}",
                    String::from_utf8_lossy(raw)
                );
                if let Some(v) = value {
                    let serde: serde_json::Value = serde_json::from_slice(raw).expect("serde reads it");
                    assert_eq!(
                        v,
                        serde,
                        "skim and serde read {:?} differently",
                        String::from_utf8_lossy(raw)
                    );
                }
            }
        }
    });
});
