//! ACL LOG: the most recent refusals (commands, keys, channels, failed
//! AUTH), newest first. A refusal like one of the last few within a
//! minute bumps that entry's count instead of adding one, as Redis groups
//! them.

use std::collections::VecDeque;

/// Refusals within this many ms of a like entry join it.
const GROUPING_MAX_MS: u64 = 60_000;
/// How many recent entries a refusal is compared with.
const GROUPING_SCAN: usize = 10;

/// Where the refused command came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    Toplevel,
    Multi,
    Lua,
}

impl Context {
    pub fn name(self) -> &'static str {
        match self {
            Context::Toplevel => "toplevel",
            Context::Multi => "multi",
            Context::Lua => "lua",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub count: u64,
    pub reason: &'static str,
    pub context: Context,
    pub object: Vec<u8>,
    pub username: Vec<u8>,
    /// When it last happened, unix ms.
    pub ctime_ms: u64,
    /// The refused client's CLIENT LIST line then.
    pub client_info: String,
}

#[derive(Debug, Default)]
pub struct AclLog {
    pub entries: VecDeque<Entry>,
}

impl AclLog {
    #[allow(clippy::too_many_arguments)]
    pub fn add(
        &mut self,
        reason: &'static str,
        context: Context,
        object: Vec<u8>,
        username: Vec<u8>,
        client_info: String,
        now_ms: u64,
        max_len: usize,
    ) {
        let like = self.entries.iter().take(GROUPING_SCAN).position(|e| {
            e.reason == reason
                && e.context == context
                && e.object == object
                && e.username == username
                && now_ms.saturating_sub(e.ctime_ms) <= GROUPING_MAX_MS
        });
        if let Some(e) = like.and_then(|i| self.entries.remove(i)) {
            self.entries.push_front(Entry {
                count: e.count + 1,
                ctime_ms: now_ms,
                client_info,
                ..e
            });
            return;
        }
        self.entries.push_front(Entry {
            count: 1,
            reason,
            context,
            object,
            username,
            ctime_ms: now_ms,
            client_info,
        });
        self.entries.truncate(max_len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(log: &mut AclLog, object: &str, now: u64) {
        log.add(
            "command",
            Context::Toplevel,
            object.into(),
            b"u".to_vec(),
            String::new(),
            now,
            3,
        );
    }

    #[test]
    fn groups_like_refusals_within_a_minute() {
        let mut log = AclLog::default();
        add(&mut log, "get", 0);
        add(&mut log, "set", 10);
        add(&mut log, "get", 20);
        assert_eq!(log.entries.len(), 2);
        assert_eq!(log.entries[0].object, b"get");
        assert_eq!(log.entries[0].count, 2);
        add(&mut log, "get", 20 + GROUPING_MAX_MS + 1);
        assert_eq!(log.entries.len(), 3);
        add(&mut log, "del", 1_000_000);
        assert_eq!(log.entries.len(), 3, "trimmed to the maximum");
        assert_eq!(log.entries[0].object, b"del");
    }
}
