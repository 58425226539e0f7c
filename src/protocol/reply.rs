//! Reply encoding straight into a client's output buffer.
//!
//! Each function appends one RESP element; there is no intermediate reply
//! value, so a command's reply costs no allocation beyond the buffer's own
//! growth. The buffer knows the client's protocol version, so callers write
//! RESP3 shapes (maps, sets, nulls, doubles) and RESP2 clients get Redis's
//! RESP2 equivalents.

/// Replies that are the same for every client, built once.
pub mod shared {
    pub const OK: &[u8] = b"+OK\r\n";
    pub const PONG: &[u8] = b"+PONG\r\n";
    pub const ZERO: &[u8] = b":0\r\n";
    pub const ONE: &[u8] = b":1\r\n";
    pub const EMPTY_ARRAY: &[u8] = b"*0\r\n";
}

/// A connection's reply buffer to begin with, and the most the timed
/// sweep grows it to (`PROTO_REPLY_CHUNK_BYTES`).
pub const REPLY_CHUNK: usize = 16 * 1024;

/// The least the timed sweep shrinks a reply buffer to
/// (`PROTO_REPLY_MIN_BYTES`).
pub const REPLY_MIN: usize = 1024;

/// A client's pending output and the protocol it speaks.
///
/// One vector holds all of it, but it is sized as Redis sizes a client's
/// static reply buffer (`size`): output past that is what Redis keeps in
/// its reply list, what `omem` and `client-output-buffer-limit` measure.
/// The timed sweep resizes the buffer to the peak it saw ([`Self::resize`]).
#[derive(Debug)]
pub struct ReplyBuf {
    buf: Vec<u8>,
    /// Bytes at the front of `buf` already written to the socket.
    sent: usize,
    resp3: bool,
    /// Size of the reply buffer proper (`buf_usable_size`).
    size: usize,
    /// The most the buffer proper held since the peak was last reset
    /// (`buf_peak`), as last noted: [`Self::peak`] adds what it holds now.
    peak: usize,
    /// When the peak was last reset (ms); 0 makes the first resize reset
    /// it, as Redis's first look at a new client does.
    peak_reset_ms: u64,
}

/// What [`ReplyBuf::resize`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resized {
    Kept,
    Shrunk,
    Grown,
}

impl Default for ReplyBuf {
    fn default() -> Self {
        Self::new()
    }
}

impl ReplyBuf {
    /// An encoder for replies built apart from any connection: nothing
    /// allocated until written to.
    pub fn new() -> Self {
        ReplyBuf {
            buf: Vec::new(),
            sent: 0,
            resp3: false,
            size: REPLY_CHUNK,
            peak: REPLY_CHUNK,
            peak_reset_ms: 0,
        }
    }

    /// A connection's buffer: [`REPLY_CHUNK`] allocated at once, as Redis
    /// allocates a new client's, with the peak at the full size.
    pub fn for_connection() -> Self {
        ReplyBuf {
            buf: Vec::with_capacity(REPLY_CHUNK),
            ..Self::new()
        }
    }

    pub fn set_resp3(&mut self, on: bool) {
        self.resp3 = on;
    }

    pub fn is_resp3(&self) -> bool {
        self.resp3
    }

    /// Bytes waiting to be written.
    pub fn pending(&self) -> &[u8] {
        &self.buf[self.sent..]
    }

    pub fn pending_len(&self) -> usize {
        self.buf.len() - self.sent
    }

    /// Allocated size of the buffer, for `CLIENT LIST`'s memory fields.
    pub fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Size of the reply buffer proper (`rbs`).
    pub fn size(&self) -> usize {
        self.size
    }

    /// The most the buffer proper held since its peak was reset (`rbp`).
    pub fn peak(&self) -> usize {
        self.peak.max(self.held())
    }

    /// What the buffer proper holds now, sent bytes included until all
    /// are (Redis's `bufpos`).
    fn held(&self) -> usize {
        self.buf.len().min(self.size)
    }

    /// Appends only make `held` grow, so the peak is noted where the
    /// buffer empties instead of on every append.
    fn note_peak(&mut self) {
        self.peak = self.peak();
    }

    /// Pending bytes beyond the buffer proper: what Redis keeps in its
    /// reply list, and what output buffer limits and `omem` measure.
    pub fn overflow_len(&self) -> usize {
        self.pending_len().saturating_sub(self.size)
    }

    /// Record that `n` pending bytes reached the socket.
    pub fn advance(&mut self, n: usize) {
        self.sent += n;
        if self.sent == self.buf.len() {
            self.note_peak();
            self.buf.clear();
            self.sent = 0;
        } else if self.sent >= REPLY_CHUNK && self.sent >= self.buf.len() / 2 {
            // A slow reader that never drains fully must not keep what it
            // has already read: moving the rest down when the sent part is
            // at least as big keeps each byte moved a bounded number of times.
            self.note_peak();
            self.buf.drain(..self.sent);
            self.sent = 0;
        }
    }

    /// Redis's `clientsCronResizeOutputBuffer`: a buffer whose peak stayed
    /// under half of it shrinks to just above the peak (not under
    /// [`REPLY_MIN`]); one the peak filled doubles (up to [`REPLY_CHUNK`]).
    /// Every `peak_reset_ms` (never with `None`) the peak starts again
    /// from what the buffer holds.
    pub fn resize(&mut self, now_ms: u64, peak_reset_ms: Option<u64>) -> Resized {
        self.note_peak();
        let (half, double) = (self.size / 2, self.size * 2);
        let (new_size, resized) = if half >= REPLY_MIN && self.peak < half {
            (REPLY_MIN.max(self.peak + 1), Resized::Shrunk)
        } else if double < REPLY_CHUNK * 2 && self.peak == self.size {
            (REPLY_CHUNK.min(double), Resized::Grown)
        } else {
            (self.size, Resized::Kept)
        };
        if peak_reset_ms.is_some_and(|every| now_ms.saturating_sub(self.peak_reset_ms) >= every) {
            self.peak = self.held();
            self.peak_reset_ms = now_ms;
        }
        self.size = new_size;
        match resized {
            // Output past the buffer proper keeps its allocation until it
            // is written (`shrink_if_idle`).
            Resized::Shrunk if self.buf.len() <= new_size => self.buf.shrink_to(new_size),
            // A client taking large replies keeps what it grew to, or
            // each reply would regrow it.
            Resized::Grown => self
                .buf
                .reserve_exact(new_size.saturating_sub(self.buf.len())),
            _ => {}
        }
        resized
    }

    /// Back to the buffer proper once a burst of large replies was written.
    pub fn shrink_if_idle(&mut self) {
        if self.buf.is_empty() && self.buf.capacity() > self.size {
            self.buf = Vec::with_capacity(self.size);
        }
    }

    /// Drop everything not yet sent (used when replies are switched off).
    pub fn discard_from(&mut self, len: usize) {
        self.note_peak();
        self.buf.truncate(len.max(self.sent));
    }

    /// Current end of the buffer, to undo or measure a reply later.
    pub fn mark(&self) -> usize {
        self.buf.len()
    }

    pub fn raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    pub fn ok(&mut self) {
        self.raw(shared::OK);
    }

    /// `+text`; the text must not contain CR or LF.
    pub fn simple(&mut self, text: &[u8]) {
        self.buf.push(b'+');
        self.buf.extend_from_slice(text);
        self.crlf();
    }

    /// `-text`; the caller passes the whole line, error code first ("ERR ...").
    /// Line ends in it (a client's bytes quoted back) become spaces, as
    /// Redis's error formatting makes them, so the reply stays one line.
    pub fn error_line(&mut self, text: &[u8]) {
        self.buf.push(b'-');
        let start = self.buf.len();
        self.buf.extend_from_slice(text);
        for b in &mut self.buf[start..] {
            if matches!(*b, b'\r' | b'\n') {
                *b = b' ';
            }
        }
        self.crlf();
    }

    pub fn int(&mut self, v: i64) {
        match v {
            0 => self.raw(shared::ZERO),
            1 => self.raw(shared::ONE),
            _ => self.prefixed(b':', v),
        }
    }

    pub fn bulk(&mut self, data: &[u8]) {
        self.len_header(b'$', data.len());
        self.buf.extend_from_slice(data);
        self.crlf();
    }

    /// A bulk string holding the decimal form of `v`.
    pub fn bulk_int(&mut self, v: i64) {
        let mut tmp = [0u8; 20];
        let s = format_i64(v, &mut tmp);
        self.bulk(s);
    }

    /// A RESP3 verbatim string (`=len\r\ntxt:...`); RESP2 clients get a bulk.
    pub fn verbatim(&mut self, data: &[u8]) {
        if self.resp3 {
            self.len_header(b'=', data.len() + 4);
            self.buf.extend_from_slice(b"txt:");
            self.buf.extend_from_slice(data);
            self.crlf();
        } else {
            self.bulk(data);
        }
    }

    /// A double as Redis 7.0 replies with one (`addReplyDouble`): `%.17g`
    /// text, `inf`/`-inf` for the infinities, as a bulk string in RESP2
    /// and a `,` double in RESP3.
    pub fn double(&mut self, d: f64) {
        let mut buf = [0u8; crate::storage::float::G17_MAX];
        let text = crate::storage::float::format_g17(d, &mut buf);
        if self.resp3 {
            self.buf.push(b',');
            self.buf.extend_from_slice(text);
            self.crlf();
        } else {
            self.bulk(text);
        }
    }

    /// The null bulk string (`$-1` in RESP2, `_` in RESP3).
    pub fn null(&mut self) {
        self.raw(if self.resp3 { b"_\r\n" } else { b"$-1\r\n" });
    }

    /// The null array (`*-1` in RESP2, `_` in RESP3).
    pub fn null_array(&mut self) {
        self.raw(if self.resp3 { b"_\r\n" } else { b"*-1\r\n" });
    }

    pub fn array_len(&mut self, n: usize) {
        self.len_header(b'*', n);
    }

    /// A map of `n` pairs: `%n` in RESP3, a flat array of `2n` in RESP2.
    pub fn map_len(&mut self, n: usize) {
        if self.resp3 {
            self.len_header(b'%', n);
        } else {
            self.len_header(b'*', n * 2);
        }
    }

    /// A set of `n` members: `~n` in RESP3, an array in RESP2.
    pub fn set_len(&mut self, n: usize) {
        self.len_header(if self.resp3 { b'~' } else { b'*' }, n);
    }

    /// An out-of-band push of `n` elements (pub/sub messages): `>n` in
    /// RESP3, an array in RESP2.
    pub fn push_len(&mut self, n: usize) {
        self.len_header(if self.resp3 { b'>' } else { b'*' }, n);
    }

    /// Inserts `bytes` at `at` (a [`mark`](Self::mark) taken earlier), for
    /// output that belongs before what was written since.
    pub fn insert_at(&mut self, at: usize, bytes: &[u8]) {
        let at = at.clamp(self.sent, self.buf.len());
        self.buf.splice(at..at, bytes.iter().copied());
    }

    /// A boolean: `#t`/`#f` in RESP3, `:1`/`:0` in RESP2.
    pub fn boolean(&mut self, v: bool) {
        if self.resp3 {
            self.raw(if v { b"#t\r\n" } else { b"#f\r\n" });
        } else {
            self.int(i64::from(v));
        }
    }

    fn len_header(&mut self, prefix: u8, n: usize) {
        match (prefix, n) {
            (b'*', 0) => self.raw(shared::EMPTY_ARRAY),
            _ => self.prefixed(prefix, n as i64),
        }
    }

    fn prefixed(&mut self, prefix: u8, v: i64) {
        let mut tmp = [0u8; 20];
        let s = format_i64(v, &mut tmp);
        self.buf.reserve(s.len() + 3);
        self.buf.push(prefix);
        self.buf.extend_from_slice(s);
        self.crlf();
    }

    fn crlf(&mut self) {
        self.buf.extend_from_slice(b"\r\n");
    }
}

/// Decimal digits of `v`, written at the end of `tmp`.
pub fn format_i64(v: i64, tmp: &mut [u8; 20]) -> &[u8] {
    let neg = v < 0;
    let mut u = v.unsigned_abs();
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (u % 10) as u8;
        u /= 10;
        if u == 0 {
            break;
        }
    }
    if neg {
        // i64::MIN has 19 digits, so there is always room for the sign.
        i -= 1;
        tmp[i] = b'-';
    }
    &tmp[i..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers() {
        let mut tmp = [0u8; 20];
        for v in [0, 1, -1, 42, i64::MAX, i64::MIN] {
            assert_eq!(format_i64(v, &mut tmp), v.to_string().as_bytes());
        }
    }

    #[test]
    fn resp2_and_resp3_shapes() {
        let mut r = ReplyBuf::new();
        r.map_len(1);
        r.bulk(b"a");
        r.int(7);
        r.null();
        r.set_len(0);
        r.boolean(true);
        assert_eq!(r.pending(), b"*2\r\n$1\r\na\r\n:7\r\n$-1\r\n*0\r\n:1\r\n");
        let mut r = ReplyBuf::new();
        r.set_resp3(true);
        r.map_len(1);
        r.null();
        r.set_len(0);
        r.boolean(false);
        r.verbatim(b"x");
        assert_eq!(r.pending(), b"%1\r\n_\r\n~0\r\n#f\r\n=5\r\ntxt:x\r\n");
    }

    #[test]
    fn advance_resets_when_drained() {
        let mut r = ReplyBuf::new();
        r.ok();
        r.advance(2);
        assert_eq!(r.pending(), b"K\r\n");
        r.advance(3);
        assert_eq!(r.pending_len(), 0);
        assert_eq!(r.mark(), 0);
    }

    #[test]
    fn pushes_and_insertions() {
        let mut r = ReplyBuf::new();
        r.push_len(2);
        assert_eq!(r.pending(), b"*2\r\n", "RESP2 has no push type");
        r.set_resp3(true);
        let mark = r.mark();
        r.ok();
        r.insert_at(mark, b">1\r\n");
        assert_eq!(r.pending(), b"*2\r\n>1\r\n+OK\r\n");
        r.advance(4);
        r.insert_at(0, b"x");
        assert_eq!(r.pending(), b"x>1\r\n+OK\r\n", "never before what was sent");
    }

    #[test]
    fn error_lines_stay_one_line() {
        let mut r = ReplyBuf::new();
        r.error_line(b"ERR Unsupported option a\r\nb");
        assert_eq!(r.pending(), b"-ERR Unsupported option a  b\r\n");
    }

    #[test]
    fn resizing_follows_the_peak() {
        let mut r = ReplyBuf::for_connection();
        assert_eq!(
            (r.size(), r.peak(), r.capacity()),
            (REPLY_CHUNK, REPLY_CHUNK, REPLY_CHUNK)
        );
        let every = Some(5000);
        assert_eq!(
            r.resize(10_000, every),
            Resized::Kept,
            "a full peak cannot grow"
        );
        assert_eq!(r.peak(), 0, "the first look resets the peak");
        assert_eq!(r.resize(10_100, every), Resized::Shrunk);
        assert_eq!((r.size(), r.capacity()), (REPLY_MIN, REPLY_MIN));
        assert_eq!(
            r.resize(10_200, every),
            Resized::Kept,
            "never under the minimum"
        );

        r.raw(&[b'x'; 3000]);
        assert_eq!((r.peak(), r.overflow_len()), (REPLY_MIN, 3000 - REPLY_MIN));
        assert_eq!(r.resize(10_300, every), Resized::Grown);
        assert_eq!((r.size(), r.overflow_len()), (2048, 3000 - 2048));
        r.advance(3000);
        assert_eq!(r.peak(), 2048, "noted as the buffer drained");
        assert_eq!(r.resize(10_400, every), Resized::Grown);
        assert_eq!(
            r.resize(10_500, every),
            Resized::Kept,
            "4096 > the peak, < twice it"
        );
        assert_eq!(
            r.resize(15_100, every),
            Resized::Kept,
            "the peak resets to 0"
        );
        assert_eq!(r.resize(15_200, every), Resized::Shrunk);
        assert_eq!(r.size(), REPLY_MIN);

        for t in 0..5 {
            r.raw(&[b'x'; 100_000]);
            r.advance(100_000);
            r.resize(15_300 + t * 100, None);
        }
        assert!(r.capacity() >= 100_000);
        assert_eq!(
            r.size(),
            REPLY_CHUNK,
            "doubled up to the cap, each time filled"
        );
        r.shrink_if_idle();
        assert_eq!(
            r.capacity(),
            REPLY_CHUNK,
            "the overflow's memory is given back"
        );
    }

    #[test]
    fn sent_prefix_is_released_before_the_buffer_drains() {
        let mut r = ReplyBuf::new();
        r.raw(&vec![b'x'; 4 * REPLY_CHUNK]);
        r.advance(REPLY_CHUNK);
        assert_eq!(r.mark(), 4 * REPLY_CHUNK, "a small sent prefix stays");
        r.advance(REPLY_CHUNK);
        assert_eq!(r.mark(), 2 * REPLY_CHUNK, "half sent: the prefix goes");
        assert_eq!(r.pending_len(), 2 * REPLY_CHUNK);
        assert_eq!(r.overflow_len(), REPLY_CHUNK);
    }
}
