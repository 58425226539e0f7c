//! MIGRATE's connections to other servers, kept open between calls as
//! Redis keeps them (`migrate_cached_sockets`): by `host:port` as the
//! client wrote them, at most 64, each closed after 10 seconds unused. A
//! cached connection also remembers the database it last selected, so a
//! run of MIGRATEs to one database sends SELECT once.
//!
//! The I/O is blocking with MIGRATE's timeout, as in Redis: the command
//! holds the loop for the time the transfer takes, which is what makes it
//! atomic for every other client.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// Most connections kept (`MIGRATE_SOCKET_CACHE_ITEMS`).
const MAX_CACHED: usize = 64;
/// Seconds a cached connection may stay unused (`MIGRATE_SOCKET_CACHE_TTL`).
const IDLE_SECS: u64 = 10;
/// Bytes written per call, as Redis writes them.
const WRITE_CHUNK: usize = 64 * 1024;
/// Longest reply line kept (Redis reads into a 1 KB buffer).
const LINE_MAX: usize = 1024;

/// One open connection to a target.
pub struct Target {
    stream: TcpStream,
    /// Bytes read past the last reply line.
    pending: Vec<u8>,
    /// The database the target has selected for us (-1: unknown).
    pub last_db: i64,
    last_use_secs: u64,
}

/// How a transfer failed on the wire.
#[derive(Debug)]
pub enum WireError {
    /// The host did not resolve, or did not answer within the timeout.
    Connect,
    /// A refused connection counts as a failed write, as with Redis's
    /// non-blocking connect, which only learns of the refusal then.
    Write(io::Error),
    Read(io::Error),
}

impl WireError {
    /// Whether it was the timeout (which MIGRATE never retries).
    pub fn timed_out(&self) -> bool {
        match self {
            WireError::Connect => true,
            WireError::Write(e) | WireError::Read(e) => {
                matches!(
                    e.kind(),
                    io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
                )
            }
        }
    }
}

impl Target {
    /// Writes all of `bytes` within `timeout` per chunk.
    pub fn write_all(&mut self, bytes: &[u8], timeout: Duration) -> Result<(), WireError> {
        self.stream
            .set_write_timeout(Some(timeout))
            .map_err(WireError::Write)?;
        for chunk in bytes.chunks(WRITE_CHUNK) {
            self.stream.write_all(chunk).map_err(WireError::Write)?;
        }
        Ok(())
    }

    /// The next reply line without its line end, read within `timeout`.
    /// A closed connection is an error: a reply was expected.
    pub fn read_line(&mut self, timeout: Duration) -> Result<Vec<u8>, WireError> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.pending.drain(..=end).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                line.truncate(LINE_MAX - 1);
                return Ok(line);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(WireError::Read(io::ErrorKind::TimedOut.into()));
            }
            self.stream
                .set_read_timeout(Some(left))
                .map_err(WireError::Read)?;
            let mut buf = [0u8; 4096];
            match self.stream.read(&mut buf) {
                Ok(0) => return Err(WireError::Read(io::ErrorKind::UnexpectedEof.into())),
                Ok(n) => self.pending.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(WireError::Read(e)),
            }
        }
    }
}

/// The cached connections.
#[derive(Default)]
pub struct MigrateCache {
    targets: HashMap<Vec<u8>, Target>,
}

fn cache_name(host: &[u8], port: &[u8]) -> Vec<u8> {
    let mut name = host.to_vec();
    name.push(b':');
    name.extend_from_slice(port);
    name
}

impl MigrateCache {
    /// The connection to `host:port`, opened within `timeout` if none is
    /// cached. `port` is read as C's `atoi` reads it, as Redis does.
    pub fn get(
        &mut self,
        host: &[u8],
        port: &[u8],
        timeout: Duration,
        now_secs: u64,
    ) -> Result<&mut Target, WireError> {
        let name = cache_name(host, port);
        if !self.targets.contains_key(&name) {
            if self.targets.len() >= MAX_CACHED {
                // Redis drops a random one; any will do.
                if let Some(victim) = self.targets.keys().next().cloned() {
                    self.targets.remove(&victim);
                }
            }
            let stream = connect(host, crate::commands::atoi(port), timeout)?;
            let target = Target {
                stream,
                pending: Vec::new(),
                last_db: -1,
                last_use_secs: now_secs,
            };
            self.targets.insert(name.clone(), target);
        }
        let target = self.targets.get_mut(&name).ok_or(WireError::Connect)?;
        target.last_use_secs = now_secs;
        Ok(target)
    }

    /// Forgets (and so closes) the connection to `host:port`.
    pub fn close(&mut self, host: &[u8], port: &[u8]) {
        self.targets.remove(&cache_name(host, port));
    }

    /// Closes connections unused for more than ten seconds (the timed sweep).
    pub fn close_idle(&mut self, now_secs: u64) {
        self.targets
            .retain(|_, t| now_secs.saturating_sub(t.last_use_secs) <= IDLE_SECS);
    }
}

/// A blocking connection to the first address `host` resolves to that
/// accepts within `timeout`. The port wraps to 16 bits as C's does.
fn connect(host: &[u8], port: i64, timeout: Duration) -> Result<TcpStream, WireError> {
    let host = std::str::from_utf8(host).map_err(|_| WireError::Connect)?;
    let addrs = (host, port as u16)
        .to_socket_addrs()
        .map_err(|_| WireError::Connect)?;
    let mut last = WireError::Connect;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(stream) => {
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Err(e) if e.kind() == io::ErrorKind::TimedOut => last = WireError::Connect,
            Err(e) => last = WireError::Write(e),
        }
    }
    Err(last)
}
