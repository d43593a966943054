//! Integration tests: the real `quarry` binary, launched and called the way Grafana does.

#[expect(
    unreachable_pub,
    reason = "helpers are shared between the test modules"
)]
mod e2e {
    mod author;
    mod author_polyglot;
    mod cache;
    mod cli;
    mod contract;
    mod crafted;
    pub mod fake_api;
    mod fake_grafana;
    pub mod harness;
    mod host_resources;
    mod hostile;
    mod http_api;
    mod lifecycle;
    mod limits;
    mod oci;
    mod oci_rollout;
    mod polyglot;
    mod query_data;
    pub mod registry;
    pub mod rollout;
    mod secrets;
    mod services;
}
