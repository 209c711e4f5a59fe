//! Reasoning summaries rendered for a terminal, as they stream.
//!
//! The backend writes reasoning summaries in Markdown: each part starts with a bold heading
//! (`**Reading the request**`), then a paragraph. Printed raw, the asterisks are noise. Here the
//! heading is drawn bold and the whole summary dim (ANSI styles through `anstyle`) when the
//! stream is a terminal and `NO_COLOR` is not set; otherwise the text comes out plain, the
//! asterisks dropped. Chunks split anywhere — `**Reading the ` then `request**` — so the renderer
//! keeps what it has seen across [`ReasoningText::push`] calls (a lone `*` at a chunk's end
//! waits for the next chunk). Each line may be indented, for output laid out in blocks.

use anstyle::{Effects, Style};
use std::io::IsTerminal;

/// Whether styles are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Styling {
    /// Bold and dim through ANSI escape sequences.
    Terminal,
    /// Plain text: not a terminal, or `NO_COLOR` is set.
    Plain,
}

impl Styling {
    /// Styles for `stream` when it is a terminal and `NO_COLOR` is unset or empty
    /// (<https://no-color.org>).
    pub fn for_stream(stream: &impl IsTerminal) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
        if stream.is_terminal() && !no_color {
            Self::Terminal
        } else {
            Self::Plain
        }
    }
}

/// Renders one reasoning summary's Markdown, chunk by chunk.
pub struct ReasoningText {
    styling: Styling,
    indent: String,
    bold: bool,
    /// A `*` at the end of the last chunk: half of a `**`, or a plain asterisk.
    pending_star: bool,
    /// At the start of a line (the indent is written before the next character).
    line_start: bool,
}

const DIM: Style = Style::new().effects(Effects::DIMMED);
const DIM_BOLD: Style = Style::new().effects(Effects::DIMMED.insert(Effects::BOLD));

impl ReasoningText {
    /// A renderer whose lines start with `indent`.
    pub fn new(styling: Styling, indent: &str) -> Self {
        Self {
            styling,
            indent: indent.to_string(),
            bold: false,
            pending_star: false,
            line_start: true,
        }
    }

    /// The text to print for `chunk`.
    pub fn push(&mut self, chunk: &str) -> String {
        let mut out = String::new();
        let mut chars = chunk.chars().peekable();
        while let Some(c) = chars.next() {
            if self.pending_star {
                self.pending_star = false;
                if c == '*' {
                    self.toggle_bold(&mut out);
                    continue;
                }
                self.write_char('*', &mut out);
            }
            if c == '*' {
                match chars.peek() {
                    Some('*') => {
                        chars.next();
                        self.toggle_bold(&mut out);
                    }
                    Some(_) => self.write_char('*', &mut out),
                    None => self.pending_star = true,
                }
                continue;
            }
            self.write_char(c, &mut out);
        }
        out
    }

    /// What is left to print at the summary's end (a held asterisk, the styles' reset).
    pub fn finish(&mut self) -> String {
        let mut out = String::new();
        if self.pending_star {
            self.pending_star = false;
            self.write_char('*', &mut out);
        }
        self.bold = false;
        if self.styling == Styling::Terminal && !self.line_start {
            out.push_str(&DIM.render_reset().to_string());
        }
        out
    }

    /// Whether the last character written ended a line.
    pub fn at_line_start(&self) -> bool {
        self.line_start
    }

    fn style(&self) -> Style {
        if self.bold { DIM_BOLD } else { DIM }
    }

    fn toggle_bold(&mut self, out: &mut String) {
        self.bold = !self.bold;
        if self.styling == Styling::Terminal && !self.line_start {
            out.push_str(&format!(
                "{}{}",
                Style::new().render_reset(),
                self.style().render()
            ));
        }
    }

    fn write_char(&mut self, c: char, out: &mut String) {
        if c == '\n' {
            if self.styling == Styling::Terminal && !self.line_start {
                out.push_str(&Style::new().render_reset().to_string());
            }
            out.push('\n');
            self.line_start = true;
            return;
        }
        if self.line_start {
            out.push_str(&self.indent);
            if self.styling == Styling::Terminal {
                out.push_str(&self.style().render().to_string());
            }
            self.line_start = false;
        }
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(styling: Styling, chunks: &[&str]) -> String {
        let mut text = ReasoningText::new(styling, "  ");
        let mut out: String = chunks.iter().map(|chunk| text.push(chunk)).collect();
        out.push_str(&text.finish());
        out
    }

    #[test]
    fn plain_text_drops_the_asterisks_wherever_the_chunks_split() {
        let whole = "**Reading the request**\n\nThe user sent a message.";
        let expected = "  Reading the request\n\n  The user sent a message.";
        assert_eq!(render(Styling::Plain, &[whole]), expected);
        for split in 1..whole.len() {
            let (a, b) = whole.split_at(split);
            assert_eq!(
                render(Styling::Plain, &[a, b]),
                expected,
                "split at {split}"
            );
        }
    }

    #[test]
    fn a_single_asterisk_stays() {
        assert_eq!(render(Styling::Plain, &["2 * 3 *"]), "  2 * 3 *");
    }

    #[test]
    fn a_terminal_gets_bold_headings_in_dim_text() {
        let out = render(Styling::Terminal, &["**Head**\nbody"]);
        assert!(!out.contains('*'), "{out:?}");
        assert!(out.contains(&DIM_BOLD.render().to_string()), "{out:?}");
        assert!(out.contains("Head"), "{out:?}");
        assert!(
            out.ends_with(&format!("body{}", DIM.render_reset())),
            "{out:?}"
        );
    }
}
