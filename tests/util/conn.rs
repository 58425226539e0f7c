//! A raw RESP client over TCP or a unix socket.
//!
//! It deliberately knows nothing about commands: it writes exactly the bytes
//! a test asks for and hands back exactly one reply frame's bytes, so tests
//! can check the wire format itself. Every read has a deadline, so a server
//! that hangs fails the test with what it had sent so far instead of blocking
//! the suite.

use super::resp::{encode_cmd, escape, frame_len, parse, Reply};
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

/// How long any single reply may take before the test gives up on it. Long
/// enough for a 20 MB bulk on a loaded 2-core CI box, short enough that a hang
/// is reported well inside the suite's budget.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(10);

/// How long [`Conn::closed`] waits for the server to hang up.
pub const CLOSE_TIMEOUT: Duration = Duration::from_secs(3);

enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Stream {
    fn set_read_timeout(&self, t: Duration) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.set_read_timeout(Some(t)),
            Stream::Unix(s) => s.set_read_timeout(Some(t)),
        }
    }

    fn shutdown_write(&self) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.shutdown(Shutdown::Write),
            Stream::Unix(s) => s.shutdown(Shutdown::Write),
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            Stream::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf),
            Stream::Unix(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.flush(),
            Stream::Unix(s) => s.flush(),
        }
    }
}

/// Why a reply could not be read. Kept as data (not a panic) so the
/// differential harness can report it as one more mismatch and move on.
#[derive(Debug, Clone, PartialEq)]
pub enum ReadError {
    /// No complete frame before the deadline; carries what did arrive.
    Timeout(Vec<u8>),
    /// The server closed the connection; carries any partial frame.
    Closed(Vec<u8>),
    /// The bytes are not RESP.
    Garbage(String),
    Io(String),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Timeout(p) => write!(f, "<timed out; partial reply {}>", escape(p)),
            ReadError::Closed(p) if p.is_empty() => write!(f, "<connection closed>"),
            ReadError::Closed(p) => write!(f, "<connection closed; partial reply {}>", escape(p)),
            ReadError::Garbage(e) => write!(f, "<not RESP: {e}>"),
            ReadError::Io(e) => write!(f, "<io error: {e}>"),
        }
    }
}

/// What the peer did when we expected it to hang up (see [`Conn::closed`]).
#[derive(Debug, Clone, PartialEq)]
pub enum CloseState {
    Closed,
    StillOpen,
    /// It sent more bytes instead of closing.
    Data(Vec<u8>),
}

pub struct Conn {
    stream: Stream,
    /// Bytes received but not yet handed out as a reply.
    buf: Vec<u8>,
    timeout: Duration,
}

impl Conn {
    /// Connects over TCP to 127.0.0.1, panicking with the reason on failure.
    pub fn connect(port: u16) -> Conn {
        Conn::try_connect(port)
            .unwrap_or_else(|e| panic!("cannot connect to 127.0.0.1:{port}: {e}"))
    }

    pub fn try_connect(port: u16) -> io::Result<Conn> {
        let s = TcpStream::connect(("127.0.0.1", port))?;
        // Tests that write one byte at a time rely on each byte leaving at once.
        s.set_nodelay(true)?;
        Ok(Conn::wrap(Stream::Tcp(s)))
    }

    /// Adopts a socket the test opened itself (e.g. to write without reading).
    pub fn from_tcp(s: TcpStream) -> Conn {
        Conn::wrap(Stream::Tcp(s))
    }

    pub fn connect_unix(path: &Path) -> Conn {
        let s = UnixStream::connect(path)
            .unwrap_or_else(|e| panic!("cannot connect to {}: {e}", path.display()));
        Conn::wrap(Stream::Unix(s))
    }

    fn wrap(stream: Stream) -> Conn {
        Conn {
            stream,
            buf: Vec::new(),
            timeout: REPLY_TIMEOUT,
        }
    }

    /// Changes the per-reply deadline (default [`REPLY_TIMEOUT`]).
    pub fn set_timeout(&mut self, t: Duration) {
        self.timeout = t;
    }

    /// Writes bytes exactly as given.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.try_send_raw(bytes)
            .unwrap_or_else(|e| panic!("write of {} failed: {e}", escape(bytes)));
    }

    pub fn try_send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)?;
        self.stream.flush()
    }

    /// Sends one command as a multibulk without waiting for the reply, so
    /// tests can pipeline. Accepts `&[&str]`, `&[&[u8]]`, `&[Vec<u8>]`...
    pub fn cmd<A: AsRef<[u8]>>(&mut self, args: &[A]) {
        self.send_raw(&encode_cmd(args));
    }

    /// [`cmd`](Self::cmd) then [`read_reply`](Self::read_reply).
    pub fn call<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Vec<u8> {
        self.cmd(args);
        self.read_reply()
    }

    /// [`call`](Self::call) with the reply parsed.
    pub fn call_parsed<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Reply {
        self.cmd(args);
        self.read_parsed()
    }

    /// The raw bytes of exactly one reply frame; panics on timeout or close.
    pub fn read_reply(&mut self) -> Vec<u8> {
        self.try_read_reply()
            .unwrap_or_else(|e| panic!("reading a reply failed: {e}"))
    }

    pub fn read_parsed(&mut self) -> Reply {
        let raw = self.read_reply();
        parse(&raw).unwrap_or_else(|e| panic!("cannot parse {}: {e}", escape(&raw)))
    }

    /// Like [`read_reply`](Self::read_reply) but returns failures as values.
    pub fn try_read_reply(&mut self) -> Result<Vec<u8>, ReadError> {
        let deadline = Instant::now() + self.timeout;
        loop {
            match frame_len(&self.buf) {
                Ok(Some(n)) => return Ok(self.buf.drain(..n).collect()),
                Ok(None) => {}
                Err(e) => return Err(ReadError::Garbage(e)),
            }
            match self.fill(deadline) {
                Ok(0) => return Err(ReadError::Closed(std::mem::take(&mut self.buf))),
                Ok(_) => {}
                Err(e) if is_timeout(&e) => {
                    return Err(ReadError::Timeout(std::mem::take(&mut self.buf)))
                }
                Err(e) if is_reset(&e) => {
                    return Err(ReadError::Closed(std::mem::take(&mut self.buf)))
                }
                Err(e) => return Err(ReadError::Io(e.to_string())),
            }
        }
    }

    /// Reads `n` replies and returns them concatenated.
    pub fn try_read_replies(&mut self, n: usize) -> Result<Vec<u8>, ReadError> {
        let mut out = Vec::new();
        for _ in 0..n {
            out.extend(self.try_read_reply()?);
        }
        Ok(out)
    }

    /// Waits up to [`CLOSE_TIMEOUT`] for the server to close the connection.
    pub fn closed(&mut self) -> CloseState {
        self.close_state(CLOSE_TIMEOUT)
    }

    /// Asserts the server hangs up (after any replies already read).
    pub fn assert_closed(&mut self) {
        let state = self.closed();
        assert_eq!(state, CloseState::Closed, "expected the server to close");
    }

    /// Waits `wait` and reports whether anything arrived: used to check that
    /// a reply is suppressed (CLIENT REPLY OFF) or that the server hung up.
    pub fn close_state(&mut self, wait: Duration) -> CloseState {
        if !self.buf.is_empty() {
            return CloseState::Data(std::mem::take(&mut self.buf));
        }
        match self.fill(Instant::now() + wait) {
            Ok(0) => CloseState::Closed,
            Ok(_) => CloseState::Data(std::mem::take(&mut self.buf)),
            Err(e) if is_timeout(&e) => CloseState::StillOpen,
            Err(_) => CloseState::Closed,
        }
    }

    /// Half-closes our side, as `redis-cli` does when stdin ends.
    pub fn shutdown_write(&mut self) {
        let _ = self.stream.shutdown_write();
    }

    fn fill(&mut self, deadline: Instant) -> io::Result<usize> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(ErrorKind::TimedOut, "deadline passed"));
        }
        self.stream.set_read_timeout(left)?;
        let mut chunk = [0u8; 64 * 1024];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    return Ok(n);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

fn is_reset(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe
    )
}
