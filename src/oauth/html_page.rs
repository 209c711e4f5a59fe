//! The one small HTML page the callback server answers with: success or error.
//!
//! It speaks to the reader ("You are signed in…"), tells them which app to go back to (the
//! callback server's `app_name`: "Zed", or the command line), and follows the system's light or
//! dark appearance (`prefers-color-scheme`), in colours close to Zed's One Light and One Dark.
//!
//! Every piece of text is HTML-escaped with `html-escape` before it goes into the template, since
//! some of it (an `error_description`, an email) came from a request that anybody on this machine
//! could have sent. The page loads nothing and runs no script; the server sends it with a
//! `Content-Security-Policy` that forbids both (see [`super::callback_server`]).

use http_client::http::StatusCode;

/// Whether the page reports success or failure (it sets the heading's colour and icon).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageKind {
    /// The sign-in went through.
    Success,
    /// Something went wrong.
    Error,
}

/// A page to answer a browser with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    /// The HTTP status it is sent with.
    pub status: StatusCode,
    /// Success or error.
    pub kind: PageKind,
    /// The heading (plain text).
    pub title: String,
    /// The explanation under it (plain text).
    pub message: String,
}

impl Page {
    /// A `200 OK` success page.
    pub fn success(title: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::OK,
            kind: PageKind::Success,
            title: title.into(),
            message: message.into(),
        }
    }

    /// An error page with the given status.
    pub fn error(status: StatusCode, title: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            status,
            kind: PageKind::Error,
            title: title.into(),
            message: message.into(),
        }
    }

    /// The page as an HTML document, all text escaped.
    pub fn render(&self) -> String {
        let (icon, class) = match self.kind {
            PageKind::Success => ("&#10003;", "success"),
            PageKind::Error => ("&#10007;", "error"),
        };
        let title = html_escape::encode_text(&self.title);
        let message = html_escape::encode_text(&self.message);
        format!(
            "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta name=\"color-scheme\" content=\"light dark\">\n\
             <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
             <h1 class=\"{class}\">{icon} {title}</h1>\n<p>{message}</p>\n</body>\n</html>\n"
        )
    }
}

/// The page's style: light by default, dark when the system asks for it.
const STYLE: &str = "\
:root{color-scheme:light dark;--bg:#fafafa;--fg:#383a42;--muted:#696c77;--success:#50a14f;--error:#e45649}\
@media (prefers-color-scheme:dark){:root{--bg:#282c34;--fg:#dcdfe4;--muted:#9da5b4;--success:#98c379;--error:#e06c75}}\
body{font-family:\"IBM Plex Sans\",system-ui,sans-serif;max-width:32rem;margin:15vh auto;padding:0 1rem;background:var(--bg);color:var(--fg)}\
h1{font-size:1.4rem}h1.success{color:var(--success)}h1.error{color:var(--error)}p{line-height:1.5}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_everything_it_is_given() {
        let page = Page::error(
            StatusCode::BAD_REQUEST,
            "<b>title</b>",
            "<script>alert('x')</script> & \"more\"",
        );
        let html = page.render();
        assert!(!html.contains("<script>"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert('x')&lt;/script&gt; &amp;"),
            "{html}"
        );
        assert!(
            html.contains("<title>&lt;b&gt;title&lt;/b&gt;</title>"),
            "{html}"
        );
    }

    #[test]
    fn success_and_error_share_the_template() {
        let ok = Page::success("Signed in", "You can close this tab.").render();
        let err = Page::error(StatusCode::NOT_FOUND, "Not found", "Nothing here.").render();
        assert!(ok.contains("Signed in") && ok.contains("class=\"success\""));
        assert!(err.contains("Not found") && err.contains("class=\"error\""));
        assert_eq!(ok.lines().count(), err.lines().count());
    }

    #[test]
    fn the_page_follows_the_systems_light_or_dark_appearance() {
        let html = Page::success("Signed in", "You can close this tab.").render();
        assert!(html.contains("prefers-color-scheme:dark"), "{html}");
        assert!(html.contains("content=\"light dark\""), "{html}");
    }
}
