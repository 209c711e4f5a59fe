//! Text from the network made safe to show: no terminal escapes, no line tricks.
//!
//! Anything the issuer or the backend sends (error codes and messages, `plan_type`, model names,
//! the email in a token) can hold control characters: `ESC ] 0 ; … BEL` retitles a terminal,
//! `ESC [ 2 J` clears it, `\r` overwrites what was printed, and bidirectional overrides
//! (U+202E…) make text read differently from what it is. Every such string passes through one of
//! these two functions where it enters the crate, so neither a terminal nor the UI ever sees them.

use std::borrow::Cow;

/// One line of at most `max_chars` characters: control and bidirectional-formatting characters
/// become spaces, runs of whitespace one space, and a longer text ends in `…`.
pub fn one_line(text: &str, max_chars: usize) -> String {
    let mut line = String::with_capacity(text.len().min(max_chars.saturating_mul(4)));
    let mut chars: usize = 0;
    for word in text
        .split(|c: char| c.is_whitespace() || is_hidden(c))
        .filter(|word| !word.is_empty())
    {
        if chars > 0 {
            line.push(' ');
            chars = chars.saturating_add(1);
        }
        for c in word.chars() {
            if chars >= max_chars {
                line.push('…');
                return line;
            }
            line.push(c);
            chars = chars.saturating_add(1);
        }
    }
    line
}

/// Text that may span lines (an answer): control and bidirectional-formatting characters are
/// removed, except line feeds and tabs. Borrowed when there was nothing to remove (the usual case).
pub fn multi_line(text: &str) -> Cow<'_, str> {
    let keep = |c: char| c == '\n' || c == '\t' || !is_hidden(c);
    if text.chars().all(keep) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.chars().filter(|&c| keep(c)).collect())
    }
}

/// Whether `text` holds a character [`one_line`] and [`multi_line`] would remove (for values
/// that cannot be changed, like a model's slug, and are refused instead).
pub(crate) fn has_hidden(text: &str) -> bool {
    text.chars().any(is_hidden)
}

/// A character that changes how a terminal or a text view shows what follows, rather than
/// showing itself: C0/C1 controls (ESC, BEL, CR, …, DEL) and the Unicode bidirectional
/// embeddings, overrides and isolates.
fn is_hidden(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_carriage_returns_and_overrides_are_gone() {
        let hostile = "\u{1b}]0;pwned\u{7}bad\u{1b}[2J\r\nrequest \u{202E}txt.exe\u{9b}31m";
        assert_eq!(
            one_line(hostile, 100),
            "]0;pwned bad [2J request txt.exe 31m"
        );
        assert!(!one_line(hostile, 100).chars().any(is_hidden));
        assert_eq!(multi_line("a\u{1b}[2Jb\nc\td\r"), "a[2Jb\nc\td");
    }

    #[test]
    fn clean_text_is_kept_and_long_text_is_cut() {
        assert!(matches!(multi_line("Voilà — 漢字 🦀\n"), Cow::Borrowed(_)));
        assert_eq!(one_line("  plus  ", 10), "plus");
        assert_eq!(one_line("abcdefghij", 4), "abcd…");
        assert_eq!(one_line("ab cd", 5), "ab cd");
    }
}
