//! Who may talk to the server. A page on another site open in the same browser must neither read
//! nor change anything: every request must name the server by an exact host (`localhost`, a
//! loopback address, or the bound address, always with the bound port), so a DNS name rebound to
//! 127.0.0.1 is refused; a request that carries an `Origin` must come from that same host; and a
//! state-changing request (POST, DELETE) must carry both that `Origin` and the page's token, which
//! only a page served by this server can read (from `/api/setup`).

use std::net::{IpAddr, SocketAddr};

/// The header that carries the page's token.
pub const TOKEN_HEADER: &str = "X-Blocsim-Token";

/// The server's address and its page's token.
pub struct Guard {
    addr: SocketAddr,
    token: String,
}

impl Guard {
    /// The guard of a server listening on `addr`, with a fresh random token.
    pub fn new(addr: SocketAddr) -> Guard {
        Guard {
            addr,
            token: crate::rng::secret_token(),
        }
    }

    /// The page's token.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Whether a `Host` header value names this server: `localhost`, a loopback address, or the
    /// bound address (any address when bound to all interfaces), with the bound port (implied 80
    /// when absent). Names other than `localhost` are refused: they could be rebound.
    pub fn host_ok(&self, host: &str) -> bool {
        let (name, port) = match host.strip_prefix('[') {
            Some(rest) => match rest.split_once(']') {
                Some((ip, tail)) => (ip, tail),
                None => return false,
            },
            None => host.split_at(host.find(':').unwrap_or(host.len())),
        };
        let port = match port {
            "" => 80,
            p => match p.strip_prefix(':').and_then(|p| p.parse::<u16>().ok()) {
                Some(p) => p,
                None => return false,
            },
        };
        if port != self.addr.port() {
            return false;
        }
        if name.eq_ignore_ascii_case("localhost") {
            return true;
        }
        match name.parse::<IpAddr>() {
            Ok(ip) => ip.is_loopback() || ip == self.addr.ip() || self.addr.ip().is_unspecified(),
            Err(_) => false,
        }
    }

    /// Whether an `Origin` is this server's own page, reached through `host`.
    pub fn same_origin(origin: &str, host: &str) -> bool {
        origin.strip_prefix("http://") == Some(host)
    }

    /// Whether `token` is the page's token.
    pub fn token_ok(&self, token: Option<&str>) -> bool {
        token.is_some_and(|t| t.len() == self.token.len() && t.bytes().zip(self.token.bytes()).fold(0u8, |d, (a, b)| d | (a ^ b)) == 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_exact_names_with_the_bound_port() {
        let g = Guard::new("127.0.0.1:8123".parse().unwrap());
        for ok in ["127.0.0.1:8123", "localhost:8123", "LOCALHOST:8123", "[::1]:8123", "127.0.0.2:8123"] {
            assert!(g.host_ok(ok), "{ok}");
        }
        for bad in [
            "127.evil.example:8123",
            "127.0.0.1.nip.io:8123",
            "localhost.evil:8123",
            "127.0.0.1:8124",
            "127.0.0.1",
            "127.0.0.1:",
            "[::1:8123",
            "evil.example:8123",
            "10.0.0.5:8123",
            "",
        ] {
            assert!(!g.host_ok(bad), "{bad}");
        }
        let all = Guard::new("0.0.0.0:80".parse().unwrap());
        assert!(all.host_ok("10.0.0.5") && all.host_ok("10.0.0.5:80") && !all.host_ok("box.lan"));
    }

    #[test]
    fn origins_and_tokens_must_match_exactly() {
        assert!(Guard::same_origin("http://127.0.0.1:8123", "127.0.0.1:8123"));
        assert!(!Guard::same_origin("http://evil.example", "127.0.0.1:8123"));
        assert!(!Guard::same_origin("null", "127.0.0.1:8123"));
        let g = Guard::new("127.0.0.1:8123".parse().unwrap());
        let t = g.token().to_string();
        assert_eq!(t.len(), 32);
        assert!(g.token_ok(Some(&t)) && !g.token_ok(None) && !g.token_ok(Some("0")) && !g.token_ok(Some(&t[1..])));
        assert_ne!(Guard::new("127.0.0.1:1".parse().unwrap()).token(), t);
    }
}
