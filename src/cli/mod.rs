//! The command line: flags, progress bars, printing and exit codes — nothing else. Every
//! subcommand's flags are the clap derives of its library options ([`crate::commands`],
//! [`crate::options`] for the groups several share), so a flag is defined once, next to the field
//! it fills; [`execute`] passes the parsed options, with the command line for the manifest and a
//! progress bar, to the command, and hands what it returns to the command's printer
//! ([`print`]).
//!
//! Exit codes: 0 success; 2 bad input (scenario, flags, data files, an output directory in use);
//! 1 anything else (e.g. a disk error while writing).

use clap::Parser as _;

mod bar;
mod print;

use std::process::ExitCode;

use crate::commands::invocation::Arguments;
use crate::commands::{self, Invocation};
use bar::{Bar, Lines};

/// Parse the process's command line, run, print errors and return the exit code.
pub fn main() -> ExitCode {
    ExitCode::from(main_with(std::env::args().collect()))
}

/// [`main`] with the arguments given (the program's name first), as `python -m blocsim` runs it;
/// returns the exit code.
pub fn main_with(args: Vec<String>) -> u8 {
    let parsed = match Arguments::try_parse_from(&args) {
        Ok(parsed) => parsed,
        Err(e) => {
            // --help and --version print and succeed; a bad flag prints the usage and exits 2.
            let _ = e.print();
            return u8::try_from(e.exit_code()).unwrap_or(2);
        }
    };
    match execute(parsed, args) {
        Ok(()) => 0,
        Err(err) => {
            let report = commands::error_report(&err);
            eprintln!("error: {}", report.message);
            if report.input { 2 } else { 1 }
        }
    }
}

/// Run a parsed command: the command line goes to the manifest, a progress bar (plain lines for
/// `bench`) to the long commands, and the result to the command's printer.
pub fn execute(args: Arguments, line: Vec<String>) -> anyhow::Result<()> {
    let finished = match args.command {
        Invocation::Bench(b) => commands::execute(Invocation::Bench(b), line, &Lines)?,
        other => commands::execute(other, line, &Bar::new())?,
    };
    print::finished(finished)
}
