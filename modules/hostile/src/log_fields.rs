//! `log_fields`: many log calls, each with 64 fields of 8 KiB, named like the host's own keys.

use quarry_guest::{Frame, log};

pub(crate) fn frames() -> Vec<Frame> {
    let value = "v".repeat(8 << 10);
    let names = [
        "level", "logger", "pluginId", "traceID", "userId", "dsUid", "module", "@message",
    ];
    let fields: Vec<(String, &str)> = (0..64)
        .map(|i| {
            (
                format!("{}{}", names[i % names.len()], i / names.len()),
                value.as_str(),
            )
        })
        .collect();
    let mut pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    pairs.push(("level", "error"));
    pairs.push(("logger", "plugin.forged"));
    for _ in 0..2000 {
        log::info("field flood", &pairs);
    }
    super::ok::frames()
}
