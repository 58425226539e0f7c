//! The `ferrodis` executable.

fn main() -> std::process::ExitCode {
    ferrodis::cli::main()
}
