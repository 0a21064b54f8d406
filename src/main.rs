//! The `blocsim` command: everything happens in the library's [`blocsim::cli`].

fn main() -> std::process::ExitCode {
    blocsim::cli::main()
}
