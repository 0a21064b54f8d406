//! Errors a user can act on.
//!
//! Every error that input can cause is a variant here, carrying where the problem is (file, line,
//! column, key path) and what was expected. The binary prints them on one line and exits with code 2.

use std::fmt;
use std::path::PathBuf;

/// Where in a scenario a value came from: a file position, a `--set` override, or nowhere known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A position in a file (1-based line and column).
    File {
        /// The scenario file (or its bundled label).
        path: PathBuf,
        /// Line, from 1.
        line: usize,
        /// Column, from 1.
        column: usize,
    },
    /// A file without a known position (e.g. a missing key).
    FileOnly {
        /// The file.
        path: PathBuf,
    },
    /// A `--set PATH=VALUE` command-line override.
    Override {
        /// The override as given, `PATH=VALUE`.
        text: String,
    },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File { path, line, column } => write!(f, "{}:{line}:{column}", path.display()),
            Origin::FileOnly { path } => write!(f, "{}", path.display()),
            Origin::Override { text } => write!(f, "--set {text}"),
        }
    }
}

/// Every error the library reports.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why it could not be read.
        source: std::io::Error,
    },

    /// A file could not be written.
    #[error("{}: cannot write: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why it could not be written.
        source: std::io::Error,
    },

    /// The TOML text itself is malformed.
    #[error("{origin}: TOML syntax error: {message}")]
    Syntax {
        /// Where the text is.
        origin: Origin,
        /// The parser's message.
        message: String,
    },

    /// A scenario value is invalid: wrong type, unknown key, out of range, unknown name...
    #[error("{origin}: `{key}`: {message}")]
    Invalid {
        /// Where the value came from.
        origin: Origin,
        /// Key path of the value, e.g. `domain.telecom.revision_rate`.
        key: String,
        /// What is wrong and what was expected.
        message: String,
    },

    /// A data table (country data, custom world CSV) is malformed.
    #[error("{}:{line}: {message}", path.display())]
    Data {
        /// The table's file.
        path: PathBuf,
        /// Line of the offending row, from 1.
        line: usize,
        /// What is wrong.
        message: String,
    },

    /// A `--set PATH=VALUE` argument is malformed.
    #[error("--set {text}: {message}")]
    Override {
        /// The argument as given.
        text: String,
        /// What is wrong.
        message: String,
    },

    /// An output directory cannot be used (exists as a file, holds other files, is not writable).
    #[error("{}: {message}", path.display())]
    Output {
        /// The directory.
        path: PathBuf,
        /// Why it cannot be used.
        message: String,
    },

    /// A command-line argument or combination of arguments is invalid.
    #[error("{0}")]
    Usage(String),

    /// The observations do not identify the free parameters of an estimate (a singular information
    /// matrix): the message names the direction.
    #[error("{0}")]
    NotIdentified(String),

    /// A scenario name is neither a file nor a bundled scenario.
    #[error("scenario `{name}` is neither a readable file nor a bundled scenario (bundled: {bundled})")]
    UnknownScenario {
        /// The name as given.
        name: String,
        /// The bundled scenarios' names, comma-separated.
        bundled: String,
    },

    /// Drawing a chart failed.
    #[error("{}: cannot draw chart: {message}", path.display())]
    Plot {
        /// The chart's file.
        path: PathBuf,
        /// The drawing backend's message.
        message: String,
    },

    /// Writing a Parquet table failed.
    #[error("{}: cannot write Parquet: {message}", path.display())]
    Parquet {
        /// The table's file.
        path: PathBuf,
        /// The writer's message.
        message: String,
    },

    /// The caller's [`Progress`](crate::progress::Progress) asked the command to stop.
    #[error("cancelled")]
    Cancelled,
}

/// Result alias for the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A validation error at a key path with a known origin.
    pub fn invalid(origin: Origin, key: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid {
            origin,
            key: key.into(),
            message: message.into(),
        }
    }
}
