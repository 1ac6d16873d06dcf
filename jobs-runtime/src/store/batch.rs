//! Coalescing of small database writes: callers ask one at a time, and whatever piled up while
//! the previous statement ran goes out as one statement.
//!
//! A burst of 1 000 ticks due together becomes a few `INSERT`s of hundreds of rows instead of
//! 1 000 round trips, without a timer that would add latency when there is no burst: a lone
//! request is sent at once.

use super::StoreError;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// The most requests one statement carries, so that a huge burst still answers its first
/// callers early.
const MOST: usize = 1_000;

type Reply<T> = oneshot::Sender<Result<T, StoreError>>;

/// Runs one statement for a batch of requests; answers one value per request, in order.
pub(crate) type Flush<Request, Answer> = Box<
    dyn Fn(Vec<Request>) -> Pin<Box<dyn Future<Output = Result<Vec<Answer>, StoreError>> + Send>>
        + Send
        + Sync,
>;

pub(crate) struct Batcher<Request, Answer> {
    requests: mpsc::UnboundedSender<(Request, Reply<Answer>)>,
}

impl<Request: Send + 'static, Answer: Send + 'static> Batcher<Request, Answer> {
    /// Starts the task that sends batches with `flush`; it ends when the batcher is dropped.
    pub(crate) fn new(flush: Flush<Request, Answer>) -> Self {
        let (requests, mut receiver) = mpsc::unbounded_channel::<(Request, Reply<Answer>)>();
        tokio::spawn(async move {
            let mut batch = Vec::new();
            let mut replies = Vec::new();
            while let Some((request, reply)) = receiver.recv().await {
                batch.push(request);
                replies.push(reply);
                while batch.len() < MOST {
                    let Ok((request, reply)) = receiver.try_recv() else {
                        break;
                    };
                    batch.push(request);
                    replies.push(reply);
                }
                match flush(std::mem::take(&mut batch)).await {
                    Ok(answers) => {
                        for (reply, answer) in replies.drain(..).zip(answers) {
                            // A caller that stopped waiting no longer needs its answer.
                            let _ = reply.send(Ok(answer));
                        }
                    }
                    Err(error) => {
                        for reply in replies.drain(..) {
                            let _ = reply.send(Err(error.clone()));
                        }
                    }
                }
            }
        });
        Self { requests }
    }

    /// Sends `request` with the next batch, without waiting for it to be done.
    pub(crate) fn push(&self, request: Request) {
        let (reply, _) = oneshot::channel();
        // Closed only when the store is gone, and then nobody waits for this.
        let _ = self.requests.send((request, reply));
    }

    /// Sends `request` with the next batch and waits for its answer.
    pub(crate) async fn call(&self, request: Request) -> Result<Answer, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.requests
            .send((request, reply))
            .map_err(|_| StoreError::Database("the store has closed".into()))?;
        answer
            .await
            .unwrap_or_else(|_| Err(StoreError::Database("the store has closed".into())))
    }
}

/// A batcher whose statements run on `db`: `flush(db, batch)` answers one value per request.
pub(crate) fn on<D, Request, Answer, F, Fut>(db: &Arc<D>, flush: F) -> Batcher<Request, Answer>
where
    D: Send + Sync + 'static,
    Request: Send + 'static,
    Answer: Send + 'static,
    F: Fn(Arc<D>, Vec<Request>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Vec<Answer>, StoreError>> + Send + 'static,
{
    let db = Arc::clone(db);
    Batcher::new(Box::new(move |batch| {
        Box::pin(flush(Arc::clone(&db), batch))
    }))
}
