//! The module's descriptor: the attack to run and its parameters.

use quarry_guest::{Descriptor, QueryField};
use serde_json::json;

/// Every attack `query` runs, in README order.
pub(crate) const ATTACKS: &[&str] = &[
    "ok",
    "trap",
    "panic",
    "busy_loop",
    "memory_bomb",
    "bad_frame",
    "bad_meta",
    "too_many_frames",
    "huge_string",
    "log_flood",
    "fetch",
    "read_secrets",
    "error_flood",
    "meta_bomb",
    "log_fields",
    "deep_json",
    "enum_oob",
    "many_labels",
    "http_fields",
    "hold_memory",
    "parallel_fetch",
];

pub(crate) fn descriptor() -> Descriptor {
    Descriptor::new("Not for production: sandbox attacks for the host's tests")
        .with_query_field(
            QueryField::enumeration("attack", ATTACKS.iter().map(|&a| (a, a)))
                .title("Attack")
                .description("What the module does to its host (see modules/hostile/README.md)")
                .main()
                .required(),
        )
        .with_query_field(
            QueryField::string("url")
                .title("URL")
                .description("The URL the fetch attack requests")
                .placeholder("http://127.0.0.1:8080/"),
        )
        .with_query_field(
            QueryField::integer("mb")
                .title("MiB")
                .description("The memory the hold_memory attack holds"),
        )
        .with_query_field(
            QueryField::integer("ms")
                .title("Milliseconds")
                .description("How long the hold_memory attack holds it"),
        )
        .with_query_field(
            QueryField::integer("n")
                .title("Requests")
                .description("The requests the parallel_fetch attack starts at once"),
        )
        .with_default_query(json!({"attack": "ok"}))
}

#[cfg(test)]
mod tests {
    use quarry_guest::{Datasource, Kind};

    use super::*;
    use crate::Hostile;

    #[test]
    fn descriptor_key_facts() {
        let d = Hostile::describe();
        assert!(d.description().starts_with("Not for production"));
        assert!(d.settings().is_empty(), "hostile reads no settings");
        let attack = d.query_field("attack").unwrap();
        assert!(attack.is_main() && attack.is_required());
        let Kind::Enum(options) = attack.kind() else {
            panic!("attack is not an enum");
        };
        assert_eq!(options.len(), ATTACKS.len());
        assert!(options.iter().any(|o| o.value == "fetch"));
        assert_eq!(d.query_field("url").unwrap().kind(), &Kind::String);
        assert_eq!(d.default_query(), Some(&json!({"attack": "ok"})));
    }
}
