//! What a request head means for the sign-in: the callback (with a code or an error), or
//! something to turn away with the right status.
//!
//! The order of the checks is the order of the answers: an unknown path is 404 (the browser's
//! `/favicon.ico` among them), a known path with another method 405 (RFC 9110 §15.5.6), a query
//! without this sign-in's `state` 400 (a stale tab or a forgery: RFC 6749 §10.12), and a
//! matching callback without `code` or `error` 400. None of these ends the wait.

use super::request_head::RequestHead;
use crate::oauth::html_page::Page;
use crate::secret::{AuthorizationCode, CsrfState};
use http_client::http::StatusCode;
use url::Url;

/// What the issuer's redirect carried (RFC 6749 §4.1.2 and §4.1.2.1).
#[derive(Debug)]
pub enum CallbackOutcome {
    /// The user approved: the authorization code to exchange.
    Code(AuthorizationCode),
    /// The issuer refused, e.g. `access_denied`. The text is as received (not yet cleaned).
    Error {
        /// The `error` code.
        error: String,
        /// The `error_description`, if any.
        description: Option<String>,
    },
}

/// What else the redirect carried, for flows that need it (the official route's issued
/// `client_id` and granted `scope`, siwc.md §1.4). The Codex route ignores them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallbackExtras {
    /// The `client_id` parameter, when present (the client id the issuer registered).
    pub client_id: Option<String>,
    /// The `scope` parameter, when present (the scopes the user granted).
    pub scope: Option<String>,
}

/// What to do with a request.
#[derive(Debug)]
pub(crate) enum Route {
    /// Answer with this page (plus these headers) and keep waiting.
    Reject(Page, Vec<(&'static str, &'static str)>),
    /// This is the sign-in's callback.
    Callback(CallbackOutcome, CallbackExtras),
}

/// Routes one request head.
pub fn route(head: &RequestHead, callback_path: &str, expected_state: &CsrfState) -> Route {
    // A base only to resolve the target against; origin-form and absolute-form both work.
    let Ok(url) = Url::parse("http://localhost/").and_then(|base| base.join(&head.target)) else {
        return reject(
            StatusCode::BAD_REQUEST,
            "Bad request",
            "This address could not be read.",
        );
    };
    if url.path() != callback_path {
        return reject(
            StatusCode::NOT_FOUND,
            "Not found",
            "This local server only receives the sign-in callback.",
        );
    }
    if head.method != "GET" {
        return Route::Reject(
            Page::error(
                StatusCode::METHOD_NOT_ALLOWED,
                "Method not allowed",
                "The sign-in callback is a GET request.",
            ),
            vec![("Allow", "GET")],
        );
    }

    let mut state = None;
    let mut code = None;
    let mut error = None;
    let mut description = None;
    let mut client_id = None;
    let mut scope = None;
    // The first occurrence of each parameter counts; percent-decoding is lossy on purpose so
    // that non-UTF-8 bytes cannot fail the parse (they just will not match anything).
    for (key, value) in url.query_pairs() {
        let slot = match key.as_ref() {
            "state" => &mut state,
            "code" => &mut code,
            "error" => &mut error,
            "error_description" => &mut description,
            "client_id" => &mut client_id,
            "scope" => &mut scope,
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(value.into_owned());
        }
    }

    if !state.is_some_and(|state| expected_state.matches(&state)) {
        return reject(
            StatusCode::BAD_REQUEST,
            "Sign-in link out of date",
            "This page does not belong to the sign-in in progress (its state does not match). \
             Close it and use the newest sign-in tab.",
        );
    }
    let extras = CallbackExtras { client_id, scope };
    match (code, error) {
        (_, Some(error)) => Route::Callback(CallbackOutcome::Error { error, description }, extras),
        (Some(code), None) if !code.is_empty() => {
            Route::Callback(CallbackOutcome::Code(AuthorizationCode::new(code)), extras)
        }
        _ => reject(
            StatusCode::BAD_REQUEST,
            "No authorization code",
            "The sign-in answer carried neither a code nor an error. The sign-in is still \
             waiting: try again from the newest sign-in tab.",
        ),
    }
}

fn reject(status: StatusCode, title: &str, message: &str) -> Route {
    Route::Reject(Page::error(status, title, message), Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(method: &str, target: &str) -> RequestHead {
        RequestHead {
            method: method.into(),
            target: target.into(),
        }
    }

    fn status(route: &Route) -> Option<u16> {
        match route {
            Route::Reject(page, _) => Some(page.status.as_u16()),
            Route::Callback(..) => None,
        }
    }

    #[test]
    fn routes_each_kind_of_request() {
        let state = CsrfState::new("good");
        let path = "/auth/callback";
        let run = |method: &str, target: &str| route(&head(method, target), path, &state);

        assert_eq!(status(&run("GET", "/favicon.ico")), Some(404));
        assert_eq!(
            status(&run("POST", "/auth/callback?code=c&state=good")),
            Some(405)
        );
        assert_eq!(
            status(&run("GET", "/auth/callback?code=c&state=bad")),
            Some(400)
        );
        assert_eq!(status(&run("GET", "/auth/callback?code=c")), Some(400));
        assert_eq!(status(&run("GET", "/auth/callback?state=good")), Some(400));
        assert_eq!(
            status(&run("GET", "/auth/callback?code=&state=good")),
            Some(400)
        );
        assert_eq!(
            status(&run("GET", "/auth/callback?code=%FF%FE&state=%FF")),
            Some(400)
        );

        match run("GET", "/auth/callback?code=abc&state=good&code=other") {
            Route::Callback(CallbackOutcome::Code(code), extras) => {
                assert_eq!(code.secret(), "abc");
                assert_eq!(extras, CallbackExtras::default());
            }
            other => panic!("{other:?}"),
        }
        match run(
            "GET",
            "/auth/callback?error=access_denied&error_description=%3Cb%3Eno%3C%2Fb%3E&state=good",
        ) {
            Route::Callback(CallbackOutcome::Error { error, description }, _) => {
                assert_eq!(error, "access_denied");
                assert_eq!(description.as_deref(), Some("<b>no</b>"));
            }
            other => panic!("{other:?}"),
        }
        match run(
            "GET",
            "/auth/callback?code=c&scope=openid+email&state=good&client_id=oaiapp_1",
        ) {
            Route::Callback(CallbackOutcome::Code(_), extras) => {
                assert_eq!(extras.client_id.as_deref(), Some("oaiapp_1"));
                assert_eq!(extras.scope.as_deref(), Some("openid email"));
            }
            other => panic!("{other:?}"),
        }
    }
}
