//! `error_flood`: an error whose message is 24 MiB (from a query, or from every stream tick) — the
//! kind of text that, passed on whole, ends a gRPC connection Grafana shares with every datasource.

use quarry_guest::Error;

const MESSAGE_BYTES: usize = 24 << 20;

pub(crate) fn error() -> Error {
    Error::internal("E".repeat(MESSAGE_BYTES)).context("c".repeat(1 << 20))
}
