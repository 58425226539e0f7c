//! Listening sockets: TCP per `bind`/`port`/`tcp-backlog`, and the optional
//! unix socket per `unixsocket`/`unixsocketperm`.
//!
//! Addresses follow Redis: `*` is every IPv4 address, `::*` every IPv6 one,
//! and a leading `-` marks an address that may be unavailable without
//! failing start-up. Listeners take tokens from the top of the token space
//! so they never collide with client slab keys.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use mio::net::{TcpListener, UnixListener};
use mio::{Interest, Registry, Token};
use socket2::{Domain, Socket, Type};

use crate::config::Config;

/// Token of the unix socket listener.
pub const UNIX_TOKEN: Token = Token(usize::MAX);
/// Token of the first TCP listener; the others count down from it.
const FIRST_TCP_TOKEN: usize = usize::MAX - 1;

/// The server's listening sockets.
pub struct Listeners {
    pub tcp: Vec<(Token, TcpListener)>,
    pub unix: Option<(UnixListener, PathBuf)>,
}

impl Listeners {
    /// Binds everything the configuration asks for and registers it with the poll.
    pub fn bind(config: &Config, registry: &Registry) -> io::Result<Listeners> {
        let mut l = Listeners {
            tcp: Vec::new(),
            unix: None,
        };
        l.bind_tcp(config, registry)?;
        if !config.unixsocket.is_empty() {
            l.unix = Some(listen_unix(config, registry)?);
        }
        if l.tcp.is_empty() && l.unix.is_none() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "Configured to not listen anywhere, exiting.",
            ));
        }
        Ok(l)
    }

    /// Opens the TCP listeners for `bind` and `port` (none when the port is
    /// 0 or `bind` is empty, which leaves only the unix socket, as in Redis).
    pub fn bind_tcp(&mut self, config: &Config, registry: &Registry) -> io::Result<()> {
        if config.port == 0 || config.bind.is_empty() {
            return Ok(());
        }
        let mut tcp = Vec::new();
        for (i, spec) in config.bind.iter().enumerate() {
            let (optional, addr) = match spec.strip_prefix('-') {
                Some(rest) => (true, rest),
                None => (false, spec.as_str()),
            };
            match listen_tcp(addr, config.port, config.tcp_backlog) {
                Ok(mut l) => {
                    let token = Token(FIRST_TCP_TOKEN - i);
                    registry.register(&mut l, token, Interest::READABLE)?;
                    tcp.push((token, l));
                }
                Err(e) if optional || unsupported(&e) => {
                    log::debug!("Skipping optional bind address {addr}: {e}");
                }
                Err(e) => {
                    for (_, mut l) in tcp {
                        let _ = registry.deregister(&mut l);
                    }
                    return Err(io::Error::new(
                        e.kind(),
                        format!(
                            "Could not create server TCP listening socket {addr}:{}: {e}",
                            config.port
                        ),
                    ));
                }
            }
        }
        if tcp.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::AddrNotAvailable,
                "Failed listening on port (tcp), aborting.",
            ));
        }
        self.tcp = tcp;
        Ok(())
    }

    /// The port of the first TCP listener.
    pub fn port(&self) -> Option<u16> {
        self.tcp
            .first()
            .and_then(|(_, l)| l.local_addr().ok())
            .map(|a| a.port())
    }

    pub fn tcp_by_token(&self, token: Token) -> Option<&TcpListener> {
        self.tcp.iter().find(|(t, _)| *t == token).map(|(_, l)| l)
    }

    /// Closes the TCP listeners.
    pub fn close_tcp(&mut self, registry: &Registry) {
        for (_, mut l) in self.tcp.drain(..) {
            let _ = registry.deregister(&mut l);
        }
    }

    /// Closes the listeners and removes the unix socket file.
    pub fn close(&mut self, registry: &Registry) {
        self.close_tcp(registry);
        if let Some((mut l, path)) = self.unix.take() {
            let _ = registry.deregister(&mut l);
            let _ = std::fs::remove_file(path);
        }
    }
}

/// An address family the kernel does not offer (IPv6 disabled, say) is not
/// fatal for the wildcard defaults, as in Redis.
fn unsupported(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EAFNOSUPPORT) | Some(libc::EPROTONOSUPPORT)
    )
}

fn parse_bind(addr: &str) -> io::Result<IpAddr> {
    match addr {
        "*" => Ok(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
        "::*" => Ok(IpAddr::V6(Ipv6Addr::UNSPECIFIED)),
        other => other.parse().map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("Invalid bind address '{other}'"),
            )
        }),
    }
}

fn listen_tcp(addr: &str, port: u16, backlog: i32) -> io::Result<TcpListener> {
    let ip = parse_bind(addr)?;
    let sa = SocketAddr::new(ip, port);
    let socket = Socket::new(Domain::for_address(sa), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    if ip.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    socket.bind(&sa.into())?;
    socket.listen(backlog)?;
    socket.set_nonblocking(true)?;
    Ok(TcpListener::from_std(socket.into()))
}

fn listen_unix(config: &Config, registry: &Registry) -> io::Result<(UnixListener, PathBuf)> {
    let path = PathBuf::from(&config.unixsocket);
    // A stale socket file from an earlier run would make bind fail.
    let _ = std::fs::remove_file(&path);
    let mut l = UnixListener::bind(&path)
        .map_err(|e| io::Error::new(e.kind(), format!("Failed opening Unix socket: {e}")))?;
    if config.unixsocketperm != 0 {
        std::fs::set_permissions(
            &path,
            std::fs::Permissions::from_mode(config.unixsocketperm),
        )?;
    }
    registry.register(&mut l, UNIX_TOKEN, Interest::READABLE)?;
    Ok((l, path))
}

/// Applies per-connection TCP options: no Nagle delay, and keepalive probes
/// every `tcp-keepalive` seconds as Redis's `anetKeepAlive` sets them.
pub fn configure_accepted(stream: &mio::net::TcpStream, keepalive_secs: u32) {
    let sock = socket2::SockRef::from(stream);
    let _ = sock.set_nodelay(true);
    if keepalive_secs > 0 {
        let secs = std::time::Duration::from_secs(u64::from(keepalive_secs));
        let interval = std::time::Duration::from_secs(u64::from((keepalive_secs / 3).max(1)));
        let ka = socket2::TcpKeepalive::new()
            .with_time(secs)
            .with_interval(interval)
            .with_retries(3);
        let _ = sock.set_tcp_keepalive(&ka);
    }
}
