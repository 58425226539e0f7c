//! `ferrodis-server`: the same server under `redis-server`'s naming.

fn main() -> std::process::ExitCode {
    ferrodis::cli::main()
}
