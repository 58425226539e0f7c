//! The command line: reads arguments and configuration the way
//! `redis-server` does, then starts the server. Both executables
//! (`ferrodis` and its `ferrodis-server` alias) are this function.

use std::process::ExitCode;

use crate::config::Config;
use crate::server::{self, REDIS_VERSION};

fn usage() -> String {
    let lines = [
        "Usage: ./ferrodis [/path/to/redis.conf] [options] [-]",
        "       ./ferrodis - (read config from stdin)",
        "       ./ferrodis -v or --version",
        "       ./ferrodis -h or --help",
        "",
        "Examples:",
        "       ./ferrodis (run the server with default conf)",
        "       echo 'maxmemory 128mb' | ./ferrodis -",
        "       ./ferrodis /etc/redis/6379.conf",
        "       ./ferrodis --port 7777",
        "       ./ferrodis /etc/myredis.conf --loglevel verbose -",
        "       ./ferrodis /etc/myredis.conf --loglevel verbose",
    ];
    lines.join("\n")
}

/// Runs the server as the command line asks; the process's exit status.
pub fn main() -> ExitCode {
    let args: Vec<String> = crate::server::proctitle::args()
        .into_iter()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let mut opts = getopts::Options::new();
    opts.optflag("v", "version", "print the version and exit");
    opts.optflag("h", "help", "print usage and exit");
    // Only a leading -v/-h/--version/--help is ours; everything else is
    // configuration in redis-server's `--name value` form.
    if let Some(first) = args.first() {
        if let Ok(m) = opts.parse([first]) {
            if m.opt_present("version") {
                println!(
                    "ferrodis v={} redis_version={REDIS_VERSION} malloc=libc bits={}",
                    env!("CARGO_PKG_VERSION"),
                    usize::BITS
                );
                return ExitCode::SUCCESS;
            }
            if m.opt_present("help") {
                eprintln!("{}", usage());
                return ExitCode::FAILURE;
            }
        }
    }
    let config = match Config::from_args(&args) {
        Ok(c) => c,
        Err(msg) => {
            // The message carries its own line ends, as Redis prints it.
            eprint!("{msg}");
            if !msg.ends_with('\n') {
                eprintln!();
            }
            return ExitCode::FAILURE;
        }
    };
    match server::start(config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            log::warn!("{msg}");
            eprintln!("{msg}");
            ExitCode::FAILURE
        }
    }
}
