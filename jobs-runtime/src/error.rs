use std::fmt;

/// Why the runtime could not start, or could not do what a [`Handle`](crate::Handle) asked.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A job takes a `State<T>` that [`Builder::state`](crate::Builder::state) was not given.
    MissingState {
        /// The job.
        job: String,
        /// `T`.
        type_name: &'static str,
    },
    /// Two jobs share a name.
    DuplicateJob {
        /// The name.
        name: String,
        /// Where the first is defined (`file:line:column`, or "added at run time").
        first: String,
        /// Where the second is defined.
        second: String,
    },
    /// A registered schedule does not parse: `jobs-macros` and `jobs-runtime` come from different
    /// versions.
    InvalidSchedule {
        /// The job.
        job: String,
        /// The parser's message.
        reason: String,
    },
    /// No job has this name (or `only`/`exclude` named a job that is not registered).
    UnknownJob(String),
    /// A short name that ends the names of several jobs.
    AmbiguousJob {
        /// The name given.
        name: String,
        /// The jobs it could mean.
        matches: Vec<String>,
    },
    /// The runtime has shut down.
    ShutDown,
    /// Listening for SIGINT or SIGTERM failed.
    Signal(std::io::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingState { job, type_name } => write!(
                f,
                "job `{job}` takes `State<{type_name}>`, but the runtime was given no `{type_name}`: add `.state(value)` to `Runtime::builder()`"
            ),
            Self::DuplicateJob { name, first, second } => write!(
                f,
                "two jobs are named `{name}`: one at {first}, one at {second}; give one of them `#[job(name = \"…\")]`"
            ),
            Self::InvalidSchedule { job, reason } => write!(
                f,
                "job `{job}` has an invalid schedule ({reason}); jobs-macros and jobs-runtime must be the same version"
            ),
            Self::UnknownJob(name) => write!(f, "no job is named `{name}`"),
            Self::AmbiguousJob { name, matches } => write!(
                f,
                "`{name}` could be any of {}; give the full name",
                matches.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ")
            ),
            Self::ShutDown => f.write_str("the job runtime has shut down"),
            Self::Signal(error) => write!(f, "cannot listen for shutdown signals: {error}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Signal(error) => Some(error),
            _ => None,
        }
    }
}
