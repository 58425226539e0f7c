//! `client-output-buffer-limit`: a client whose pending replies outgrow its
//! class's hard limit, or stay above the soft limit for longer than the
//! soft limit's seconds, is closed without being sent anything more, as
//! Redis's `closeClientOnOutputBufferLimitReached` does. Only output beyond
//! the client's reply buffer
//! ([`overflow_len`](crate::protocol::reply::ReplyBuf::overflow_len))
//! counts, as only Redis's reply list does.
//!
//! A client's class is Redis's `getClientType`: `pubsub` while it holds a
//! subscription, else `normal` (replicas do not exist yet); the limits of
//! all three are configured and shown by `CONFIG GET`.

use super::client::Client;
use super::Server;

/// Indexes of the classes in `client_output_buffer_limits`.
const CLASS_NORMAL: usize = 0;
const CLASS_PUBSUB: usize = 2;

impl Server {
    /// Checks `client` after replies were added to its output. Returns true
    /// when it was scheduled to be closed. Cheap while the output fits in
    /// the reply buffer, which is nearly always.
    pub(crate) fn enforce_output_limit(&mut self, client: &mut Client) -> bool {
        let used = client.reply.overflow_len() as u64;
        if used == 0 || client.close_asap || client.fd < 0 {
            return false;
        }
        let class = if client.pubsub {
            CLASS_PUBSUB
        } else {
            CLASS_NORMAL
        };
        let limit = self.config.client_output_buffer_limits[class];
        let hard = limit.hard_limit_bytes != 0 && used >= limit.hard_limit_bytes;
        let mut soft = limit.soft_limit_bytes != 0 && used >= limit.soft_limit_bytes;
        let now_s = self.clock.now_ms / 1000;
        if !soft {
            client.obuf_soft_since = 0;
        } else if client.obuf_soft_since == 0 {
            // The first time over the soft limit starts its clock.
            client.obuf_soft_since = now_s;
            soft = false;
        } else {
            let elapsed = now_s.saturating_sub(client.obuf_soft_since);
            soft = elapsed as i64 > limit.soft_limit_seconds;
        }
        if !(hard || soft) {
            return false;
        }
        let info = self.client_info(client);
        log::warn!(
            "Client {info} scheduled to be closed ASAP for overcoming of output buffer limits."
        );
        client.close_asap = true;
        true
    }

    /// The timed sweep's pass: a soft limit's seconds run out with no new
    /// reply being added, so clients over it are checked here too.
    pub(crate) fn enforce_output_limits_of_all(&mut self) {
        let tokens: Vec<usize> = self
            .clients
            .iter()
            .filter_map(|(token, c)| {
                c.as_deref()
                    .filter(|c| c.reply.overflow_len() > 0)
                    .map(|_| token)
            })
            .collect();
        for token in tokens {
            let Some(mut client) = self.clients.get_mut(token).and_then(Option::take) else {
                continue;
            };
            let closing = self.enforce_output_limit(&mut client);
            if let Some(slot) = self.clients.get_mut(token) {
                *slot = Some(client);
            }
            if closing {
                self.schedule_close(token);
            }
        }
    }
}
