//! Integration tests: the real `quarry` binary, launched and called the way Grafana does.

#[expect(
    unreachable_pub,
    reason = "helpers are shared between the test modules"
)]
mod e2e {
    mod cli;
    mod contract;
    mod fake_api;
    pub mod harness;
    mod hostile;
    mod http_api;
    mod lifecycle;
    mod polyglot;
    mod query_data;
    mod services;
}
