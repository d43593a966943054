//! Catching a panic of a future that runs on the calling task, as a spawned task's `JoinError`
//! would, so a host bug in one query becomes that query's error rather than a reset stream.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

/// Runs `fut` to completion; `Err(())` if polling it panicked.
pub(crate) fn catch<F: Future>(fut: F) -> Catch<F> {
    Catch(Box::pin(fut))
}

pub(crate) struct Catch<F>(Pin<Box<F>>);

impl<F: Future> Future for Catch<F> {
    type Output = Result<F::Output, ()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // The future is not polled again after a panic: it is dropped with this one.
        let inner = self.0.as_mut();
        match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(_) => Poll::Ready(Err(())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_while_polling_is_an_error_and_a_value_passes_through() {
        assert_eq!(catch(async { 7 }).await, Ok(7));
        let panics = async {
            tokio::task::yield_now().await;
            if std::hint::black_box(true) {
                panic!("host bug");
            }
            1
        };
        assert_eq!(catch(panics).await, Err(()));
    }
}
