//! `read_secrets`: lists every secure setting the module received. This module declares no secret
//! grants, so with a correct host the list is empty.

use std::collections::BTreeMap;

use quarry_guest::{Field, Frame};

pub(crate) fn frames(secrets: &BTreeMap<String, String>) -> Vec<Frame> {
    let entries: Vec<String> = secrets
        .iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect();
    vec![Frame::new("secrets").with_field(Field::new("entries", entries))]
}
