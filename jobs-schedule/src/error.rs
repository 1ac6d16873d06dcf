use std::fmt;

/// Why an expression, interval or zone was rejected.
///
/// The message follows rustc's style (lowercase, no final period, the offending token quoted, the
/// expected form named) so that the `#[job]` macro can show it as a compile error as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    message: String,
}

impl ParseError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ParseError {}
