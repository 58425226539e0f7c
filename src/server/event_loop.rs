//! The event loop: one `mio::Poll` over the listeners and every client.
//!
//! Each iteration flushes pending replies (`before_sleep`), waits for events
//! no longer than the next timed sweep, reads and executes what clients sent,
//! and runs the sweep when it is due. Sockets are read until a read comes
//! back short (the queue is empty; new data raises a new edge) or would
//! block, and written until done or blocked; WRITABLE interest is
//! registered only while a client has output the socket did not take.

use std::io;
use std::time::Duration;

use mio::{Events, Interest, Token};

use super::client::{Client, QueryBuf, Stream, READ_CHUNK};
use super::net::{self, UNIX_TOKEN};
use super::{Server, ShutdownRequest};
use crate::commands::{self, Args, Outcome};
use crate::protocol::parser::{ArgSource, Limits, BIG_ARG};

/// Bytes of a bad request quoted in the protocol error log line (`PROTO_DUMP_LEN`).
const PROTO_DUMP_LEN: usize = 128;

/// Events taken from the poll per iteration.
const EVENTS_CAPACITY: usize = 1024;

/// How often the loop retries an AOF write postponed by a background
/// sync, while replies wait for it.
const AOF_RETRY_MS: u64 = 1;

/// Reads served to one client per loop iteration before the others get a
/// turn; a client with more to read is revisited after the next poll. One,
/// as in Redis: replies are flushed once per iteration, so reading a deep
/// pipeline in one go would hold back the replies to its first requests.
const MAX_READS_PER_TURN: usize = 1;

/// Sent to a client refused because `maxclients` is reached.
const MAX_CLIENTS_ERROR: &[u8] = b"-ERR max number of clients reached\r\n";

/// Sent to a remote client while protected mode is on and no password is set.
const PROTECTED_MODE_ERROR: &[u8] = b"-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

impl Server {
    /// Runs until a shutdown is requested and carried out.
    pub fn run(&mut self) -> io::Result<()> {
        let mut events = Events::with_capacity(EVENTS_CAPACITY);
        let mut next_cron = self.clock.now_ms;
        loop {
            self.before_sleep();
            // Clients left with unread input must not wait for a new event:
            // with edge-triggered polling none would come.
            // The sweep, or an earlier blocked client's deadline.
            let until = self
                .blocking
                .next_deadline()
                .map_or(next_cron, |d| d.min(next_cron))
                .saturating_sub(self.clock.now_ms);
            // Eviction that stopped on its time limit goes on at the next
            // turn, as Redis's eviction timer does.
            let wait = if !self.unfinished_reads.is_empty() || self.evict.pending {
                0
            } else if self.aof_write_postponed() {
                // Replies wait for a write that waits for a background sync,
                // whose end no event announces.
                AOF_RETRY_MS.min(until)
            } else {
                until
            };
            match self
                .poll
                .poll(&mut events, Some(Duration::from_millis(wait)))
            {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
            self.clock.update();
            for token in std::mem::take(&mut self.unfinished_reads) {
                self.read_from(token);
            }
            for event in events.iter() {
                self.handle_event(event.token(), event.is_readable(), event.is_writable());
                if event.is_read_closed() {
                    self.peer_closed(event.token().0);
                }
            }
            if let Some(sig) = super::signals::take_pending() {
                self.shutdown = Some(ShutdownRequest::Signal(sig));
            }
            if self.clock.now_ms >= next_cron {
                self.cron();
                next_cron = self.clock.now_ms + 1000 / u64::from(self.hz.max(1));
            }
            if self.shutdown.is_some() && self.prepare_shutdown() {
                return Ok(());
            }
        }
    }

    fn handle_event(&mut self, token: Token, readable: bool, writable: bool) {
        if token == UNIX_TOKEN {
            self.accept_unix();
        } else if self.listeners.tcp_by_token(token).is_some() {
            self.accept_tcp(token);
        } else {
            if writable {
                self.write_to(token.0);
            }
            if readable {
                self.read_from(token.0);
            }
        }
    }

    fn accept_tcp(&mut self, token: Token) {
        loop {
            let Some(listener) = self.listeners.tcp_by_token(token) else {
                return;
            };
            match listener.accept() {
                Ok((stream, peer)) => {
                    net::configure_accepted(&stream, self.config.tcp_keepalive);
                    let laddr = stream
                        .local_addr()
                        .map(|a| format_addr(&a))
                        .unwrap_or_default();
                    let local = peer.ip().is_loopback();
                    self.add_client(Stream::Tcp(stream), format_addr(&peer), laddr, local);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    log::warn!("Accepting client connection: {e}");
                    return;
                }
            }
        }
    }

    fn accept_unix(&mut self) {
        loop {
            let Some((listener, path)) = self.listeners.unix.as_ref() else {
                return;
            };
            match listener.accept() {
                Ok((stream, _)) => {
                    let path = path.display().to_string();
                    self.add_client(Stream::Unix(stream), format!("{path}:0"), path, true);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    log::warn!("Accepting client connection: {e}");
                    return;
                }
            }
        }
    }

    fn add_client(&mut self, mut stream: Stream, addr: String, laddr: String, local: bool) {
        self.stats.total_connections_received += 1;
        if self.clients.len() >= self.config.maxclients {
            // Best effort, as Redis: the socket is new, so the write nearly always fits.
            let _ = stream.write(MAX_CLIENTS_ERROR);
            self.stats.rejected_connections += 1;
            return;
        }
        if self.config.protected_mode && !local && self.acl.default_nopass() {
            let _ = stream.write(PROTECTED_MODE_ERROR);
            self.stats.rejected_connections += 1;
            return;
        }
        let authenticated = !self.auth_required();
        let entry = self.clients.vacant_entry();
        let token = entry.key();
        if let Err(e) = self
            .poll
            .registry()
            .register(&mut stream, Token(token), Interest::READABLE)
        {
            log::warn!("Error registering fd event for the new client: {e}");
            return;
        }
        let id = self.next_client_id;
        self.next_client_id += 1;
        log::debug!("Accepted {addr}");
        let mut client = Client::new(id, token, stream, addr, laddr, self.clock.now_ms);
        client.authenticated = authenticated;
        entry.insert(Some(Box::new(client)));
    }

    /// The peer shut its side, maybe in the same edge as its last bytes:
    /// the short read that took them skips the read that would see the
    /// end, so the client is read once more on the next turn, after its
    /// replies went out, as Redis reads it again and finds the end.
    fn peer_closed(&mut self, token: usize) {
        if self.clients.get(token).is_some_and(Option::is_some)
            && !self.unfinished_reads.contains(&token)
        {
            self.unfinished_reads.push(token);
        }
    }

    /// Reads everything the socket has, executing requests as they complete.
    fn read_from(&mut self, token: usize) {
        let Some(mut client) = self.clients.get_mut(token).and_then(Option::take) else {
            return;
        };
        let mut closed = false;
        let mut reads = 0;
        loop {
            if client.close_asap {
                break;
            }
            if reads == MAX_READS_PER_TURN {
                self.unfinished_reads.push(token);
                break;
            }
            reads += 1;
            let spare = match client.parser.pending_bulk() {
                // A big bulk is read in one piece once it is all there, but
                // the buffer only grows in step with the bytes that arrived:
                // at most doubling, never to a declared length alone.
                Some((len, start)) if len >= BIG_ARG => {
                    let remaining = (start + len + 2).saturating_sub(client.query.end);
                    let step = client.query.end.max(READ_CHUNK);
                    client.query.spare_exact(remaining.clamp(1, step))
                }
                _ => client.query.spare(READ_CHUNK),
            };
            let asked = spare.len();
            match client.stream.read(spare) {
                Ok(0) => {
                    log::debug!(
                        "Client closed connection id={} addr={}",
                        client.id,
                        client.addr
                    );
                    closed = true;
                    break;
                }
                Ok(n) => {
                    client.query.end += n;
                    self.stats.net_input_bytes += n as u64;
                    self.stats.total_reads_processed += 1;
                    self.process_input(token, &mut client);
                    // A short read emptied the socket's queue; data arriving
                    // later raises a new edge, so the read that would only
                    // say "would block" is skipped (one syscall per request).
                    if n < asked {
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    log::debug!("Reading from client: {e}");
                    closed = true;
                    break;
                }
            }
        }
        if closed {
            self.free_client(client);
            return;
        }
        self.after_processing(token, client);
    }

    /// Puts a client back in its slot and queues its output for writing.
    pub(crate) fn after_processing(&mut self, token: usize, mut client: Box<Client>) {
        if self.pubsub.has_detached() {
            let end = client.reply.mark();
            self.deliver_detached(&mut client, end);
        }
        self.deliver_tracking_detached(&mut client, None);
        let has_work =
            client.reply.pending_len() > 0 || client.close_asap || client.close_after_reply;
        if has_work {
            enqueue_write(&mut self.pending_writes, &mut client);
        }
        if let Some(slot) = self.clients.get_mut(token) {
            *slot = Some(client);
        }
    }

    /// Parses and executes every complete request in the client's query buffer.
    pub(crate) fn process_input(&mut self, token: usize, client: &mut Client) {
        let mut query = std::mem::take(&mut client.query);
        let mut parser = std::mem::take(&mut client.parser);
        loop {
            if client.close_after_reply || client.close_asap || client.paused || client.blocked {
                break;
            }
            let limits = Limits {
                max_bulk_len: self.config.proto_max_bulk_len,
                unauthenticated: !client.authenticated && self.auth_required(),
            };
            match parser.parse(query.filled(), &limits) {
                Ok(true) => {
                    let (ranges, source) = parser.args();
                    let data = match source {
                        ArgSource::Query => query.filled(),
                        ArgSource::Scratch => parser.scratch(),
                    };
                    client.qbuf_in_use = query.end - parser.consumed();
                    let args = Args::new(data, ranges);
                    let dispatched = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        commands::dispatch(self, client, &args)
                    }));
                    let outcome = match dispatched {
                        Ok(outcome) => outcome,
                        Err(_) => self.crash_report(client, &args),
                    };
                    if outcome == Outcome::Postpone {
                        parser.rewind();
                        client.paused = true;
                        self.paused_clients.push(token);
                    }
                    if client.reply.overflow_len() > 0 {
                        with_query(client, &mut query, |c| self.enforce_output_limit(c));
                    }
                    if self.blocking.has_ready() && !self.scripting.is_running() {
                        self.serve_ready_keys();
                    }
                }
                Ok(false) => break,
                Err(e) => {
                    let mut text = Vec::new();
                    e.write_message(&mut text);
                    client.reply.error_line(&text);
                    self.stats.count_error(&text);
                    if log::log_enabled!(log::Level::Debug) {
                        client.qbuf_in_use = query.end;
                        let info = with_query(client, &mut query, |c| self.client_info(c));
                        let rest = query.filled().get(parser.position()..).unwrap_or_default();
                        log::debug!(
                            "Protocol error ({}) from client: {info}. {}",
                            e.log_text(),
                            query_sample(rest)
                        );
                    }
                    client.close_after_reply = true;
                    break;
                }
            }
        }
        let consumed = parser.consumed();
        query.consume(consumed);
        parser.shift(consumed);
        client.qbuf_in_use = query.end;
        if query.end as u64 > self.config.client_query_buffer_limit {
            log::warn!(
                "Closing client that reached max query buffer length: id={} addr={} (qbuf initial bytes: {:?})",
                client.id,
                client.addr,
                String::from_utf8_lossy(&query.filled()[..query.end.min(64)])
            );
            client.close_asap = true;
        }
        client.query = query;
        client.parser = parser;
    }

    /// Writes a client's pending output after WRITABLE fired.
    fn write_to(&mut self, token: usize) {
        let Some(mut client) = self.clients.get_mut(token).and_then(Option::take) else {
            return;
        };
        // The output may hold replies produced this iteration (a read served
        // from `unfinished_reads`): `before_sleep` writes them once the AOF
        // holds what they acknowledge.
        if !self.replies_may_go(&client) {
            enqueue_write(&mut self.pending_writes, &mut client);
            if let Some(slot) = self.clients.get_mut(token) {
                *slot = Some(client);
            }
            return;
        }
        if self.flush_client(&mut client) {
            self.free_client(client);
        } else if let Some(slot) = self.clients.get_mut(token) {
            *slot = Some(client);
        }
    }

    /// Flushes output and adjusts WRITABLE interest. Returns true when the
    /// client must now be closed.
    fn flush_client(&mut self, client: &mut Client) -> bool {
        if client.close_asap {
            return true;
        }
        match client.flush() {
            Ok(n) => {
                if n > 0 {
                    self.stats.net_output_bytes += n as u64;
                    self.stats.total_writes_processed += 1;
                }
            }
            Err(e) => {
                log::debug!("Error writing to client: {e}");
                return true;
            }
        }
        let pending = client.reply.pending_len() > 0;
        if !pending && client.close_after_reply {
            return true;
        }
        if pending != client.want_write {
            let interest = if pending {
                Interest::READABLE | Interest::WRITABLE
            } else {
                Interest::READABLE
            };
            let token = Token(client.token);
            if self
                .poll
                .registry()
                .reregister(&mut client.stream, token, interest)
                .is_err()
            {
                return true;
            }
            client.want_write = pending;
        }
        false
    }

    /// Work done before every poll: a fast expiry cycle when one is due,
    /// the AOF write, then writing the replies produced since the last poll.
    fn before_sleep(&mut self) {
        self.expire_blocked();
        self.process_unblocked();
        self.active_expire_cycle(true);
        // Keys expiry deleted may end waits (XREADGROUP on a stream).
        if self.blocking.has_ready() {
            self.serve_ready_keys();
        }
        if self.evict.pending {
            self.perform_evictions();
        }
        self.tracking_before_sleep();
        self.evict_clients(None);
        // Writes reach the AOF (and, with `always`, the disk) before any
        // reply acknowledging them is written.
        self.flush_aof(false);
        self.flush_pending_writes();
    }

    /// Writes the replies produced since the last flush, to the clients
    /// whose replies may go (the AOF holds what they acknowledge).
    fn flush_pending_writes(&mut self) {
        let queued = std::mem::take(&mut self.pending_writes);
        for &token in &queued {
            let Some(mut client) = self.clients.get_mut(token).and_then(Option::take) else {
                continue;
            };
            // A write the AOF has not written yet (postponed while a sync
            // runs, or failing) is not acknowledged: a crash would lose it.
            if !self.replies_may_go(&client) {
                self.pending_writes.push(token);
                if let Some(slot) = self.clients.get_mut(token) {
                    *slot = Some(client);
                }
                continue;
            }
            client.queued_write = false;
            if self.flush_client(&mut client) {
                self.free_client(client);
            } else if let Some(slot) = self.clients.get_mut(token) {
                *slot = Some(client);
            }
        }
        // Keep the allocation for the next round.
        let mut queued = queued;
        queued.clear();
        if self.pending_writes.is_empty() {
            self.pending_writes = queued;
        }
    }

    /// Serves the other clients while a long script runs (Redis's
    /// `processEventsWhileBlocked`): accepts connections, reads and runs
    /// what clients sent (dispatch answers BUSY to all but the few commands
    /// allowed then) and writes the replies, without waiting for events.
    /// The script's caller is out of its slot; events on its socket are
    /// kept for the main loop, which reads it once the script is done.
    /// Clients blocked on keys are not served until the script ends.
    ///
    /// The first time (`first`), every client is read: the events the loop
    /// took before the script started are still waiting in its batch, and
    /// with edge-triggered polling they will not be reported again.
    pub(crate) fn process_events_while_blocked(&mut self, first: bool) {
        if first {
            let tokens: Vec<usize> = self
                .clients
                .iter()
                .filter_map(|(t, c)| c.as_ref().map(|_| t))
                .collect();
            for token in tokens {
                self.read_from(token);
            }
        }
        let mut events = Events::with_capacity(EVENTS_CAPACITY);
        match self.poll.poll(&mut events, Some(Duration::ZERO)) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
        self.clock.update();
        for event in events.iter() {
            let token = event.token();
            let absent = token != UNIX_TOKEN
                && self.listeners.tcp_by_token(token).is_none()
                && self.clients.get(token.0).is_some_and(Option::is_none);
            if absent {
                if !self.unfinished_reads.contains(&token.0) {
                    self.unfinished_reads.push(token.0);
                }
                continue;
            }
            self.handle_event(token, event.is_readable(), event.is_writable());
            if event.is_read_closed() {
                self.peer_closed(token.0);
            }
        }
        if let Some(sig) = super::signals::take_pending() {
            self.shutdown = Some(ShutdownRequest::Signal(sig));
        }
        self.flush_pending_writes();
    }

    /// A client's `CLIENT LIST` line, as Redis's log lines quote clients.
    pub(crate) fn client_info(&self, client: &Client) -> String {
        let mut info = String::new();
        commands::client::describe(self, client, &mut info);
        info
    }

    /// Disconnects a client and forgets it. The client must already be out of its slot.
    pub(crate) fn free_client(&mut self, mut client: Box<Client>) {
        if client.blocked {
            self.forget_blocked(client.id);
        }
        self.pubsub_drop_client(&mut client);
        self.unwatch_all(client.id);
        self.remove_monitor(&mut client);
        self.tracking_forget_client(&client);
        let _ = self.poll.registry().deregister(&mut client.stream);
        if self.clients.contains(client.token) {
            self.clients.remove(client.token);
        }
        self.paused_clients.retain(|&t| t != client.token);
    }

    /// Marks a client for closing; it is closed before the next poll.
    pub(crate) fn schedule_close(&mut self, token: usize) {
        if let Some(Some(c)) = self.clients.get_mut(token) {
            c.close_asap = true;
            enqueue_write(&mut self.pending_writes, c);
        }
    }

    /// Runs the input that clients held while they were blocked
    /// (Redis's `processUnblockedClients`).
    fn process_unblocked(&mut self) {
        while !self.blocking.unblocked.is_empty() {
            for token in std::mem::take(&mut self.blocking.unblocked) {
                let Some(mut client) = self.clients.get_mut(token).and_then(Option::take) else {
                    continue;
                };
                if !client.blocked {
                    self.process_input(token, &mut client);
                }
                self.after_processing(token, client);
            }
        }
    }

    /// Re-runs requests that `CLIENT PAUSE` held back, once it no longer applies.
    pub(crate) fn resume_paused(&mut self) {
        if self.paused_clients.is_empty() {
            return;
        }
        let tokens = std::mem::take(&mut self.paused_clients);
        for token in tokens {
            let Some(mut client) = self.clients.get_mut(token).and_then(Option::take) else {
                continue;
            };
            client.paused = false;
            self.process_input(token, &mut client);
            self.after_processing(token, client);
        }
    }

    /// Carries out a requested shutdown. Returns true when the loop must
    /// end; false when the final save failed and the server keeps running.
    fn prepare_shutdown(&mut self) -> bool {
        // SHUTDOWN has saved already (and failed there if it could not);
        // a signal saves as `shutdown-on-sigint`/`-sigterm` say.
        if let Some(ShutdownRequest::Signal(sig)) = self.shutdown {
            let flags = if sig == libc::SIGINT {
                self.config.shutdown_on_sigint
            } else {
                self.config.shutdown_on_sigterm
            };
            if !self.shutdown_save(flags) {
                self.shutdown = None;
                super::signals::shutdown_abandoned();
                return false;
            }
        }
        self.before_sleep();
        self.leave();
        true
    }

    /// The last steps before the process ends: no more connections, no pid file.
    pub(crate) fn leave(&mut self) {
        self.listeners.close(self.poll.registry());
        if !self.config.pidfile.is_empty() {
            log::info!("Removing the pid file.");
            let _ = std::fs::remove_file(&self.config.pidfile);
        }
        log::warn!("Redis is now ready to exit, bye bye...");
    }
}

/// `ip:port`, with IPv6 addresses unbracketed as Redis prints them.
fn format_addr(a: &std::net::SocketAddr) -> String {
    format!("{}:{}", a.ip(), a.port())
}

/// Queues a client's output for the flush before the next poll, once.
pub(crate) fn enqueue_write(pending: &mut Vec<usize>, client: &mut Client) {
    if !client.queued_write {
        client.queued_write = true;
        pending.push(client.token);
    }
}

/// Runs `f` on a client whose query buffer `process_input` holds apart,
/// with the buffer put back for the time, so what `f` reports of the
/// client (`qbuf=`, `tot-mem=`) is true.
fn with_query<T>(client: &mut Client, query: &mut QueryBuf, f: impl FnOnce(&mut Client) -> T) -> T {
    std::mem::swap(&mut client.query, query);
    let out = f(client);
    std::mem::swap(&mut client.query, query);
    out
}

/// The part of a bad request Redis quotes in its protocol error log line:
/// the whole rest when short, else its first and last 64 bytes; as C
/// strings, each stops at a NUL, and unprintable bytes show as dots.
fn query_sample(rest: &[u8]) -> String {
    fn printable(b: &[u8]) -> String {
        b.iter()
            .take_while(|&&c| c != 0)
            .map(|&c| {
                if (0x20..0x7f).contains(&c) {
                    c as char
                } else {
                    '.'
                }
            })
            .collect()
    }
    if rest.len() < PROTO_DUMP_LEN {
        format!("Query buffer during protocol error: '{}'", printable(rest))
    } else {
        let half = PROTO_DUMP_LEN / 2;
        let head = rest.get(..half).unwrap_or_default();
        let tail = rest.get(rest.len() - half..).unwrap_or_default();
        format!(
            "'{}' (... more {} bytes ...) '{}'",
            printable(head),
            rest.len() - PROTO_DUMP_LEN,
            printable(tail)
        )
    }
}
