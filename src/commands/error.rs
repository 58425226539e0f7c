//! Command errors, each carrying Redis 7.0's exact reply text.
//!
//! Handlers return these instead of writing error replies themselves, so
//! dispatch is the one place that writes an error and counts it in
//! `INFO errorstats` and the command's `failed_calls`.

use std::borrow::Cow;

/// An error reply. `text` gives the line after `-`, error code first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CmdError {
    /// A malformed option list.
    Syntax,
    /// The key holds a value of another type than the command works on.
    WrongType,
    /// An argument that must be an integer is not, or does not fit.
    NotInteger,
    /// An integer argument Redis reads as a C `int` is outside its range.
    IntOutOfRange,
    /// `SELECT`/`MOVE`/`SWAPDB` named a database that does not exist.
    DbIndexOutOfRange,
    /// `SWAPDB`'s first index is not an integer.
    InvalidFirstDbIndex,
    /// `SWAPDB`'s second index is not an integer.
    InvalidSecondDbIndex,
    /// A command sent before `AUTH` on a password-protected server.
    NoAuth,
    /// `AUTH` with a bad user name or password.
    WrongPass,
    /// `AUTH` while the default user needs no password.
    AuthWithoutPassword,
    /// `HELLO` asked for a protocol other than 2 or 3.
    NoProto,
    /// `HELLO`'s version argument is not an integer.
    HelloVersionNotInteger,
    /// `HELLO` from an unauthenticated client without `AUTH`.
    HelloNoAuth,
    /// `HELLO` with an option it does not know; holds the option.
    HelloSyntax(Vec<u8>),
    /// A command or subcommand with the wrong number of arguments; holds its full name.
    WrongArity(&'static str),
    /// A name not in the command table; holds the whole request.
    UnknownCommand(Vec<Vec<u8>>),
    /// A container command's unknown subcommand: (subcommand, container in upper case).
    UnknownSubcommand(Vec<u8>, String),
    /// `CLIENT KILL` found nobody.
    NoSuchClient,
    /// `CLIENT SETNAME` with spaces or special characters.
    BadClientName,
    /// A timeout that is negative or not an integer.
    TimeoutNotInteger,
    /// A negative timeout.
    TimeoutNegative,
    /// `CLIENT LIST` with a `TYPE` it does not know.
    UnknownClientType(Vec<u8>),
    /// `SHUTDOWN` could not finish; holds Redis's explanation.
    ShutdownFailed(&'static str),
    /// `COMMAND GETKEYS` on a name that is no command.
    InvalidCommandSpecified,
    /// `COMMAND GETKEYS` arguments that do not fit the command's arity.
    InvalidArgumentsForCommand,
    /// `COMMAND GETKEYS` on a command that takes no keys.
    CommandHasNoKeys,
    /// `COMMAND GETKEYS` on a command whose keys we cannot find; holds its name.
    UnknownKeysOfCommand,
    /// INCR-family result would leave the 64-bit range.
    IncrOverflow,
    /// A value that must be a float is not one.
    NotFloat,
    /// INCRBYFLOAT would produce NaN or infinity.
    IncrNanOrInfinity,
    /// The key named by RENAME and friends does not exist.
    NoSuchKey,
    /// A string would grow past `proto-max-bulk-len`.
    StringTooLong,
    /// An expire time or TTL argument that overflows.
    InvalidExpireTime(&'static str),
    /// A bit offset that is not an integer, negative, or past `proto-max-bulk-len`.
    BitOffset,
    /// SETBIT's value is neither 0 nor 1.
    BitValue,
    /// BITPOS's bit argument is neither 0 nor 1.
    BitposBit,
    /// BITOP NOT with more than one source.
    BitopNotSingleSource,
    /// A BITFIELD type other than `i1`..`i64` or `u1`..`u63`.
    BitfieldType,
    /// BITFIELD OVERFLOW with a mode other than WRAP, SAT or FAIL.
    BitfieldOverflowType,
    /// BITFIELD_RO asked to write.
    BitfieldReadOnly,
    /// RESTORE of a key that exists, without REPLACE.
    BusyKey,
    /// RESTORE with a negative TTL.
    InvalidTtl,
    /// RESTORE with a negative IDLETIME.
    InvalidIdletime,
    /// RESTORE with a FREQ outside 0..=255.
    InvalidFreq,
    /// RESTORE of a payload too short, from a newer RDB version, or with a bad checksum.
    DumpPayload,
    /// RESTORE of a payload whose checksum matches but whose value does not decode.
    BadDataFormat,
    /// Writes refused because the last background save failed
    /// (`stop-writes-on-bgsave-error`).
    Misconf,
    /// A command not flagged `loading` while the dataset loads.
    Loading,
    /// SAVE (or the save DEBUG RELOAD starts with) failed; Redis says only `ERR`.
    SaveFailed,
    /// SAVE or BGSAVE while a background save runs.
    BgsaveInProgress,
    /// DEBUG RELOAD could not load the file.
    ReloadFailed,
    /// DEBUG RELOAD with an option other than MERGE, NOFLUSH, NOSAVE.
    ReloadOption,
    /// A message built elsewhere (the configuration table), already in Redis's words.
    Message(Cow<'static, str>),
}

impl CmdError {
    /// The error's line without `-` and CRLF, error code first.
    pub fn text(&self) -> Cow<'_, [u8]> {
        let s: &str = match self {
            CmdError::Syntax => "ERR syntax error",
            CmdError::NotInteger => "ERR value is not an integer or out of range",
            CmdError::WrongType => {
                "WRONGTYPE Operation against a key holding the wrong kind of value"
            }
            CmdError::IntOutOfRange => {
                "ERR value is out of range, value must between -2147483648 and 2147483647"
            }
            CmdError::DbIndexOutOfRange => "ERR DB index is out of range",
            CmdError::InvalidFirstDbIndex => "ERR invalid first DB index",
            CmdError::InvalidSecondDbIndex => "ERR invalid second DB index",
            CmdError::NoAuth => "NOAUTH Authentication required.",
            CmdError::WrongPass => "WRONGPASS invalid username-password pair or user is disabled.",
            CmdError::AuthWithoutPassword => {
                "ERR AUTH <password> called without any password configured for the default user. \
                 Are you sure your configuration is correct?"
            }
            CmdError::NoProto => "NOPROTO unsupported protocol version",
            CmdError::HelloVersionNotInteger => {
                "ERR Protocol version is not an integer or out of range"
            }
            CmdError::HelloNoAuth => {
                "NOAUTH HELLO must be called with the client already authenticated, otherwise the \
                 HELLO AUTH <user> <pass> option can be used to authenticate the client and \
                 select the RESP protocol version at the same time"
            }
            CmdError::Misconf => {
                "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to \
                 persist to disk. Commands that may modify the data set are disabled, because this \
                 instance is configured to report errors during writes if RDB snapshotting fails \
                 (stop-writes-on-bgsave-error option). Please check the Redis logs for details \
                 about the RDB error."
            }
            CmdError::Loading => "LOADING Redis is loading the dataset in memory",
            CmdError::SaveFailed => "ERR",
            CmdError::BgsaveInProgress => "ERR Background save already in progress",
            CmdError::ReloadFailed => "ERR Error trying to load the RDB dump",
            CmdError::ReloadOption => {
                "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options."
            }
            CmdError::NoSuchClient => "ERR No such client",
            CmdError::BusyKey => "BUSYKEY Target key name already exists.",
            CmdError::InvalidTtl => "ERR Invalid TTL value, must be >= 0",
            CmdError::InvalidIdletime => "ERR Invalid IDLETIME value, must be >= 0",
            CmdError::InvalidFreq => "ERR Invalid FREQ value, must be >= 0 and <= 255",
            CmdError::DumpPayload => "ERR DUMP payload version or checksum are wrong",
            CmdError::BadDataFormat => "ERR Bad data format",
            CmdError::IncrOverflow => "ERR increment or decrement would overflow",
            CmdError::NotFloat => "ERR value is not a valid float",
            CmdError::IncrNanOrInfinity => "ERR increment would produce NaN or Infinity",
            CmdError::NoSuchKey => "ERR no such key",
            CmdError::StringTooLong => {
                "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
            }
            CmdError::BitOffset => "ERR bit offset is not an integer or out of range",
            CmdError::BitValue => "ERR bit is not an integer or out of range",
            CmdError::BitposBit => "ERR The bit argument must be 1 or 0.",
            CmdError::BitopNotSingleSource => {
                "ERR BITOP NOT must be called with a single source key."
            }
            CmdError::BitfieldType => {
                "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not \
                 supported but i64 is."
            }
            CmdError::BitfieldOverflowType => "ERR Invalid OVERFLOW type specified",
            CmdError::BitfieldReadOnly => "ERR BITFIELD_RO only supports the GET subcommand",
            CmdError::BadClientName => {
                "ERR Client names cannot contain spaces, newlines or special characters."
            }
            CmdError::TimeoutNotInteger => "ERR timeout is not an integer or out of range",
            CmdError::TimeoutNegative => "ERR timeout is negative",
            CmdError::InvalidCommandSpecified => "ERR Invalid command specified",
            CmdError::InvalidArgumentsForCommand => {
                "ERR Invalid number of arguments specified for command"
            }
            CmdError::CommandHasNoKeys => "ERR The command has no key arguments",
            CmdError::UnknownKeysOfCommand => "ERR Invalid arguments specified for command",
            CmdError::InvalidExpireTime(cmd) => {
                return Cow::Owned(
                    format!("ERR invalid expire time in '{cmd}' command").into_bytes(),
                )
            }
            CmdError::ShutdownFailed(why) => return Cow::Owned(format!("ERR {why}").into_bytes()),
            CmdError::Message(m) => return Cow::Borrowed(m.as_bytes()),
            CmdError::WrongArity(name) => {
                return Cow::Owned(
                    format!("ERR wrong number of arguments for '{name}' command").into_bytes(),
                )
            }
            CmdError::HelloSyntax(opt) => {
                return Cow::Owned(concat(&[b"ERR Syntax error in HELLO option '", opt, b"'"]))
            }
            CmdError::UnknownClientType(t) => {
                return Cow::Owned(concat(&[b"ERR Unknown client type '", t, b"'"]))
            }
            CmdError::UnknownSubcommand(sub, container) => {
                let mut v = b"ERR unknown subcommand '".to_vec();
                v.extend_from_slice(truncate_at_nul(sub, 128));
                v.extend_from_slice(format!("'. Try {container} HELP.").as_bytes());
                return Cow::Owned(sanitize_newlines(v));
            }
            CmdError::UnknownCommand(argv) => return Cow::Owned(unknown_command_text(argv)),
        };
        Cow::Borrowed(s.as_bytes())
    }
}

fn concat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// Redis formats these messages with `%s`, which stops at a NUL byte, and a precision.
fn truncate_at_nul(s: &[u8], max: usize) -> &[u8] {
    let end = s.iter().position(|&b| b == 0).unwrap_or(s.len()).min(max);
    &s[..end]
}

/// Error lines must stay one line, whatever the client sent.
fn sanitize_newlines(mut v: Vec<u8>) -> Vec<u8> {
    for b in &mut v {
        if *b == b'\r' || *b == b'\n' {
            *b = b' ';
        }
    }
    v
}

/// `unknown command 'x', with args beginning with: 'a' 'b' `: arguments are
/// quoted until the list reaches 128 bytes, each cut to what is left of that.
fn unknown_command_text(argv: &[Vec<u8>]) -> Vec<u8> {
    let mut args = Vec::new();
    for a in argv.iter().skip(1) {
        if args.len() >= 128 {
            break;
        }
        let room = 128 - args.len();
        args.push(b'\'');
        args.extend_from_slice(truncate_at_nul(a, room));
        args.extend_from_slice(b"' ");
    }
    let mut v = b"ERR unknown command '".to_vec();
    v.extend_from_slice(truncate_at_nul(argv.first().map_or(&[][..], |n| n), 128));
    v.extend_from_slice(b"', with args beginning with: ");
    v.extend_from_slice(&args);
    sanitize_newlines(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_command_format() {
        let argv = vec![b"foo".to_vec(), b"a".to_vec(), b"b\r\nc".to_vec()];
        assert_eq!(
            &*CmdError::UnknownCommand(argv).text(),
            b"ERR unknown command 'foo', with args beginning with: 'a' 'b  c' "
        );
        let argv = vec![b"foo".to_vec()];
        assert_eq!(
            &*CmdError::UnknownCommand(argv).text(),
            b"ERR unknown command 'foo', with args beginning with: "
        );
    }

    #[test]
    fn unknown_command_args_are_cut_at_128_bytes() {
        let long = vec![b'x'; 200];
        let argv = vec![b"foo".to_vec(), long.clone(), b"next".to_vec()];
        let text = CmdError::UnknownCommand(argv).text().into_owned();
        let prefix = b"ERR unknown command 'foo', with args beginning with: '".len();
        assert_eq!(&text[prefix..prefix + 128], &long[..128]);
        assert!(text.ends_with(b"' "));
    }
}
