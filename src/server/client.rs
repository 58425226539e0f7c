//! One connected client: its socket, query buffer, parser state, reply buffer
//! and the per-connection state commands change (database, name, protocol,
//! authentication, reply mode).

use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;

use mio::net::{TcpStream, UnixStream};

use crate::commands::CommandId;
use crate::protocol::parser::RequestParser;
use crate::protocol::reply::ReplyBuf;

/// Bytes asked of the socket per read (Redis's `PROTO_IOBUF_LEN`).
pub const READ_CHUNK: usize = 16 * 1024;

/// A client's transport.
#[derive(Debug)]
pub enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
    /// No connection: the client that replays the append-only file. It
    /// reads nothing and its output is discarded.
    Fake,
}

impl Stream {
    pub fn fd(&self) -> i32 {
        match self {
            Stream::Tcp(s) => s.as_raw_fd(),
            Stream::Unix(s) => s.as_raw_fd(),
            Stream::Fake => -1,
        }
    }

    pub fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            Stream::Unix(s) => s.read(buf),
            Stream::Fake => Ok(0),
        }
    }

    pub fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf),
            Stream::Unix(s) => s.write(buf),
            Stream::Fake => Ok(buf.len()),
        }
    }

    pub fn is_unix(&self) -> bool {
        matches!(self, Stream::Unix(_))
    }
}

impl mio::event::Source for Stream {
    fn register(&mut self, r: &mio::Registry, t: mio::Token, i: mio::Interest) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.register(r, t, i),
            Stream::Unix(s) => s.register(r, t, i),
            Stream::Fake => Err(no_socket()),
        }
    }

    fn reregister(&mut self, r: &mio::Registry, t: mio::Token, i: mio::Interest) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.reregister(r, t, i),
            Stream::Unix(s) => s.reregister(r, t, i),
            Stream::Fake => Err(no_socket()),
        }
    }

    fn deregister(&mut self, r: &mio::Registry) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.deregister(r),
            Stream::Unix(s) => s.deregister(r),
            Stream::Fake => Err(no_socket()),
        }
    }
}

/// What registering the fake client's missing socket returns.
fn no_socket() -> io::Error {
    io::Error::new(io::ErrorKind::Unsupported, "the fake client has no socket")
}

/// Bytes read from the socket and not yet consumed by the parser.
///
/// `data` stays initialised up to its length so reads go straight into its
/// free tail; `end` marks where the received bytes stop.
#[derive(Debug, Default)]
pub struct QueryBuf {
    pub data: Vec<u8>,
    pub end: usize,
}

impl QueryBuf {
    /// The received bytes.
    pub fn filled(&self) -> &[u8] {
        &self.data[..self.end]
    }

    /// Room for at least `want` more bytes after `end`, returned as a slice
    /// to read into. The buffer at least doubles when it grows, so a request
    /// arriving in many reads is copied a bounded number of times.
    pub fn spare(&mut self, want: usize) -> &mut [u8] {
        let doubled = self.data.len() * 2;
        self.grow(want, doubled)
    }

    /// Room for exactly `want` more bytes after `end`: for the payload of a
    /// big bulk, whose declared length is no promise that the bytes will come.
    pub fn spare_exact(&mut self, want: usize) -> &mut [u8] {
        self.grow(want, 0)
    }

    fn grow(&mut self, want: usize, at_least: usize) -> &mut [u8] {
        if self.data.len() - self.end < want {
            let new_len = (self.end + want).max(at_least);
            self.data.resize(new_len, 0);
        }
        &mut self.data[self.end..]
    }

    /// Drops the first `n` received bytes, keeping the rest at the front.
    pub fn consume(&mut self, n: usize) {
        if n == self.end {
            self.end = 0;
        } else if n > 0 {
            self.data.copy_within(n..self.end, 0);
            self.end -= n;
        }
    }

    /// An idle client's buffer down to what it holds, as Redis's query
    /// buffer resize does once more than 4 KB of it is unused.
    pub fn shrink_if_idle(&mut self) {
        if self.data.len() - self.end > 4 * 1024 {
            self.data.truncate(self.end);
            self.data.shrink_to_fit();
        }
    }
}

/// Which replies the client receives (`CLIENT REPLY`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyMode {
    On,
    Off,
    /// `CLIENT REPLY SKIP` ran; the next command's reply is dropped.
    SkipNext,
    /// This command's reply is dropped.
    Skip,
}

/// A connected client.
#[derive(Debug)]
pub struct Client {
    pub id: u64,
    /// Slab key and poll token.
    pub token: usize,
    pub stream: Stream,
    pub fd: i32,
    /// Peer address as `CLIENT LIST` prints it (`ip:port`, or `path:0` for unix sockets).
    pub addr: String,
    pub laddr: String,
    pub name: Option<Vec<u8>>,
    pub db: usize,
    pub authenticated: bool,
    /// The ACL user it runs as; `None` for the default user.
    pub user: Option<Vec<u8>>,
    pub query: QueryBuf,
    pub parser: RequestParser,
    pub reply: ReplyBuf,
    pub reply_mode: ReplyMode,
    /// Close once the pending replies are written (QUIT, protocol errors).
    pub close_after_reply: bool,
    /// Close at the next opportunity without writing more (CLIENT KILL, limits).
    pub close_asap: bool,
    pub no_evict: bool,
    /// Creation time, unix milliseconds.
    pub ctime_ms: u64,
    /// Last time a command arrived, unix milliseconds (for `timeout` and `idle=`).
    pub last_interaction: u64,
    /// The last command run, `None` before the first (`cmd=NULL`).
    pub last_cmd: Option<CommandId>,
    /// Query buffer bytes held while the current request runs (`qbuf=`).
    pub qbuf_in_use: usize,
    /// Bytes of the last command's arguments (`argv-mem`).
    pub argv_mem: usize,
    /// A request is held back by `CLIENT PAUSE` and will be re-run.
    pub paused: bool,
    /// Waiting on keys (BLPOP and friends); its input waits too.
    pub blocked: bool,
    /// Holds at least one pub/sub subscription (Redis's `CLIENT_PUBSUB`);
    /// the subscriptions themselves are in `Server::pubsub`.
    pub pubsub: bool,
    /// Registered for WRITABLE events because output is pending.
    pub want_write: bool,
    /// Already queued for a flush in `before_sleep`.
    pub queued_write: bool,
    /// Unix seconds since the output has been over its class's soft
    /// limit without a break; 0 while it is not.
    pub obuf_soft_since: u64,
    /// Where the writes its replies acknowledge end in the propagated
    /// stream ([`Propagator::fed`](super::propagate::Propagator::fed)):
    /// the replies wait until the AOF has written that far.
    pub aof_needed: u64,
    /// The transaction being queued, between MULTI and EXEC/DISCARD.
    pub multi: Option<crate::server::multi::MultiState>,
    /// EXEC is running the queued commands, which must not block.
    pub in_exec: bool,
    /// In MONITOR mode: every command executed is copied to it.
    pub monitor: bool,
    /// The client a script's `redis.call` runs commands with.
    pub script: bool,
}

impl Client {
    pub fn new(
        id: u64,
        token: usize,
        stream: Stream,
        addr: String,
        laddr: String,
        now_ms: u64,
    ) -> Self {
        let fd = stream.fd();
        Client {
            id,
            token,
            stream,
            fd,
            addr,
            laddr,
            name: None,
            db: 0,
            authenticated: false,
            user: None,
            query: QueryBuf::default(),
            parser: RequestParser::new(),
            reply: ReplyBuf::for_connection(),
            reply_mode: ReplyMode::On,
            close_after_reply: false,
            close_asap: false,
            no_evict: false,
            ctime_ms: now_ms,
            last_interaction: now_ms,
            last_cmd: None,
            qbuf_in_use: 0,
            argv_mem: 0,
            paused: false,
            blocked: false,
            pubsub: false,
            want_write: false,
            queued_write: false,
            obuf_soft_since: 0,
            aof_needed: 0,
            multi: None,
            in_exec: false,
            monitor: false,
            script: false,
        }
    }

    /// Whether the peer is on this machine (loopback or unix socket), which
    /// protected configuration parameters require.
    pub fn is_local(&self) -> bool {
        self.stream.is_unix() || self.addr.starts_with("127.") || self.addr.starts_with("::1:")
    }

    /// Whether a command must answer at once instead of blocking (Redis's
    /// `CLIENT_DENY_BLOCKING`): the client replaying the append-only file
    /// has nobody to wait for it, and a transaction runs at once.
    pub fn denies_blocking(&self) -> bool {
        self.in_exec || self.script || self.replays_aof()
    }

    /// The client without a socket that replays the append-only file.
    pub fn replays_aof(&self) -> bool {
        matches!(self.stream, Stream::Fake) && !self.script
    }

    /// Protocol version the client speaks (2 or 3).
    pub fn resp(&self) -> u8 {
        if self.reply.is_resp3() {
            3
        } else {
            2
        }
    }

    /// Writes pending output until done or the socket would block.
    /// Returns bytes written; errors other than `WouldBlock` are returned.
    pub fn flush(&mut self) -> io::Result<usize> {
        let mut total = 0;
        while self.reply.pending_len() > 0 {
            match self.stream.write(self.reply.pending()) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.reply.advance(n);
                    total += n;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(e),
            }
        }
        Ok(total)
    }

    /// Memory the connection holds, as `tot-mem` reports it and
    /// `maxmemory-clients` counts it.
    pub fn memory(&self) -> usize {
        self.query.data.len()
            + self.reply.capacity()
            + self.argv_mem
            + self.multi.as_ref().map_or(0, |m| m.mem)
            + std::mem::size_of::<Client>()
    }

    /// Letters of `CLIENT LIST`'s `flags=` field; `tracking` holds the
    /// client-side caching letters and `dirty_cas` says whether a key it
    /// watches changed (state the server keeps, in `server/tracking.rs`
    /// and `server/multi.rs`).
    pub fn flag_letters(&self, tracking: &str, dirty_cas: bool) -> String {
        let mut f = String::new();
        if self.monitor {
            f.push('O');
        }
        if self.pubsub {
            f.push('P');
        }
        if self.multi.is_some() {
            f.push('x');
        }
        if self.blocked {
            f.push('b');
        }
        f.push_str(tracking);
        if dirty_cas {
            f.push('d');
        }
        if self.close_after_reply {
            f.push('c');
        }
        if self.close_asap {
            f.push('A');
        }
        if self.stream.is_unix() {
            f.push('U');
        }
        if self.no_evict {
            f.push('e');
        }
        if f.is_empty() {
            f.push('N');
        }
        f
    }
}
