//! Client eviction (`maxmemory-clients`), in the spirit of Redis's
//! `evictClients`: while the normal and pub/sub connections together hold
//! the limit or more, the biggest one that may be evicted (not `CLIENT
//! NO-EVICT`) is closed, counted in `evicted_clients` and logged. Checked
//! before every command and before the loop sleeps, after reads grew
//! query buffers and commands grew output.

use super::client::Client;
use super::Server;

/// Redis never lets the limit go below this many bytes, so a bad setting
/// cannot lock every client out.
const MIN_LIMIT: u64 = 128 * 1024;

impl Server {
    /// The limit in bytes; 0 when client eviction is off (also for a
    /// percentage while `maxmemory` is 0).
    pub fn client_eviction_limit(&self) -> u64 {
        let setting = self.config.maxmemory_clients;
        let limit = if setting < 0 && self.config.maxmemory > 0 {
            (self.config.maxmemory as f64 * -(setting as f64) / 100.0) as u64
        } else if setting > 0 {
            setting as u64
        } else {
            return 0;
        };
        limit.max(MIN_LIMIT)
    }

    /// Evicts clients until their memory is under the limit. `current` is
    /// the client whose command is about to run (out of its slot): true
    /// when it was the one evicted, so the command must not run.
    pub fn evict_clients(&mut self, mut current: Option<&mut Client>) -> bool {
        let limit = self.client_eviction_limit();
        if limit == 0 {
            return false;
        }
        // Clients already being closed are gone as far as Redis counts.
        let mut total: u64 = self
            .other_clients()
            .filter(|c| !c.close_asap)
            .map(|c| c.memory() as u64)
            .sum();
        total += current.as_deref().map_or(0, |c| c.memory() as u64);
        if total < limit {
            return false;
        }
        // Biggest first; the running client is token `None`.
        let mut candidates: Vec<(usize, Option<usize>)> = self
            .clients
            .iter()
            .filter_map(|(t, c)| c.as_deref().map(|c| (t, c)))
            .filter(|(_, c)| !c.no_evict && !c.close_asap)
            .map(|(t, c)| (c.memory(), Some(t)))
            .collect();
        if let Some(c) = current.as_deref().filter(|c| !c.no_evict) {
            candidates.push((c.memory(), None));
        }
        candidates.sort_by_key(|c| std::cmp::Reverse(c.0));
        let mut evicted_current = false;
        for (mem, token) in candidates {
            if total < limit {
                break;
            }
            let info = match token {
                Some(t) => match self.clients.get(t).and_then(Option::as_deref) {
                    Some(c) => self.client_info(c),
                    None => continue,
                },
                None => match current.as_deref() {
                    Some(c) => self.client_info(c),
                    None => continue,
                },
            };
            log::info!("Evicting client: {info}");
            match token {
                Some(t) => self.schedule_close(t),
                None => {
                    if let Some(c) = current.as_deref_mut() {
                        c.close_asap = true;
                    }
                    evicted_current = true;
                }
            }
            self.stats.evicted_clients += 1;
            total = total.saturating_sub(mem as u64);
        }
        if total >= limit {
            log::warn!("Over client maxmemory after evicting all evictable clients");
        }
        evicted_current
    }
}
