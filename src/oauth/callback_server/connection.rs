//! One browser connection, from accept to answer: read the head within the read timeout, route
//! it, and either answer and close (the wait goes on) or hand the callback up with the open
//! connection, which is answered once the sign-in knows how it ended.

use super::admission::HeadRead;
use super::request_head::{HeadError, read_head};
use super::response::{AfterAnswer, answer};
use super::routing::{Route, route};
use super::{Callback, CallbackServerOptions, Responder};
use crate::oauth::html_page::Page;
use crate::oauth::time_limit::within;
use crate::secret::CsrfState;
use async_net::TcpStream;
use gpui::BackgroundExecutor;
use http_client::http::StatusCode;
use std::sync::Arc;

/// What every connection of one wait shares.
pub(crate) struct ConnectionContext {
    pub executor: BackgroundExecutor,
    pub options: CallbackServerOptions,
    pub expected_state: CsrfState,
}

/// Serves one connection. `Some` when it carried this sign-in's callback. `head_read` is marked
/// once reading the request head has ended: from then on the connection is not idle.
pub async fn serve(
    mut stream: TcpStream,
    context: Arc<ConnectionContext>,
    head_read: HeadRead,
) -> Option<Callback> {
    let ConnectionContext {
        executor, options, ..
    } = &*context;
    let limit = options.read_timeout;
    let head = within(
        executor,
        limit,
        read_head(&mut stream, options.max_head_bytes),
    )
    .await;
    head_read.mark();

    let (page, headers, after) = match head {
        Err(_elapsed) => {
            log::debug!("sign-in callback server: a connection sent no complete request in time");
            let page = Page::error(
                StatusCode::REQUEST_TIMEOUT,
                "Request timed out",
                "The request did not arrive in time.",
            );
            (page, Vec::new(), AfterAnswer::Close)
        }
        Ok(Err(HeadError::TooLarge)) => {
            let page = Page::error(
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "Request too large",
                "The request headers are too large.",
            );
            (page, Vec::new(), AfterAnswer::DrainThenClose)
        }
        Ok(Err(HeadError::Malformed)) => {
            let page = Page::error(
                StatusCode::BAD_REQUEST,
                "Bad request",
                "This is not an HTTP request this server understands.",
            );
            (page, Vec::new(), AfterAnswer::DrainThenClose)
        }
        Ok(Err(HeadError::ClosedEarly)) => return None,
        Ok(Err(HeadError::Io(error))) => {
            log::debug!("sign-in callback server: a connection failed: {error}");
            return None;
        }
        Ok(Ok(head)) => match route(&head, &options.path, &context.expected_state) {
            Route::Callback(outcome, extras) => {
                return Some(Callback {
                    outcome,
                    extras,
                    responder: Responder {
                        stream,
                        executor: executor.clone(),
                        write_timeout: limit,
                    },
                });
            }
            Route::Reject(page, headers) => (page, headers, AfterAnswer::DrainThenClose),
        },
    };
    log::debug!(
        "sign-in callback server: answered {} and kept waiting",
        page.status.as_u16()
    );
    answer(stream, executor, limit, &page, &headers, after).await;
    None
}
