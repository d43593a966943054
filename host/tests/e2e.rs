//! Integration tests: the real `quarry` binary, launched and called the way Grafana does.

mod e2e {
    pub mod harness;
    mod hostile;
    mod lifecycle;
    mod query_data;
    mod services;
}
