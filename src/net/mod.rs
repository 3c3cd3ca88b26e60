//! Outbound requests whose address a caller chooses (a tenant's webhook, a media URL): they may
//! reach public addresses only, unless the admin allows private ones. The check runs where the
//! connection is made (in the DNS resolver and on every redirect), so a name that resolves to a
//! public address when it is set and to a private one later gains nothing.

pub mod fetch;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, LazyLock};

use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::Url;

/// Where outbound requests of one kind may go: public addresses, and the networks allowed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressPolicy {
    /// Private, loopback, link-local and other non-public addresses are allowed too.
    pub allow_private: bool,
    /// Non-public networks allowed all the same (an internal file server's subnet).
    pub allowed: Arc<[IpNet]>,
}

/// Why a URL or address is refused.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct Blocked(pub String);

/// Reserved ranges that are not the public internet (IANA special-purpose registries).
static NOT_PUBLIC: LazyLock<Vec<IpNet>> = LazyLock::new(|| {
    [
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::/128",
        "::1/128",
        "100::/64",
        "2001:db8::/32",
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",
        "ff00::/8",
    ]
    .iter()
    .map(|net| net.parse().expect("a valid network"))
    .collect()
});

/// Whether `ip` is on the public internet. IPv6 forms that carry an IPv4 address (mapped,
/// NAT64, 6to4) are judged by that address.
pub fn is_public(ip: IpAddr) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => embedded_v4(v6).map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    !NOT_PUBLIC.iter().any(|net| net.contains(&ip))
}

fn embedded_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = v6.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s {
        [0, 0, 0, 0, 0, 0xffff, ..] | [0x64, 0xff9b, 0, 0, 0, 0, ..] => Some(low),
        [0x2002, hi, lo, ..] => Some(Ipv4Addr::new(
            (hi >> 8) as u8,
            hi as u8,
            (lo >> 8) as u8,
            lo as u8,
        )),
        _ => None,
    }
}

impl AddressPolicy {
    /// An http(s) URL whose host, if it is an address, may be reached. Host names are checked
    /// when they are resolved ([`AddressPolicy::client`]) or by [`AddressPolicy::check_host`].
    pub fn check_url(&self, url: &Url) -> Result<(), Blocked> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Blocked(format!(
                "only http(s) URLs are fetched, not {}:",
                url.scheme()
            )));
        }
        match url.host() {
            None => Err(Blocked("the URL has no host".into())),
            Some(url::Host::Ipv4(ip)) => self.check_ip(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => self.check_ip(IpAddr::V6(ip)),
            Some(url::Host::Domain(_)) => Ok(()),
        }
    }

    /// Resolves the URL's host now and checks every address (used when a webhook is set, so that
    /// a bad one is refused at once rather than at its first delivery).
    pub async fn check_host(&self, url: &Url) -> Result<(), Blocked> {
        self.check_url(url)?;
        let Some(url::Host::Domain(name)) = url.host() else {
            return Ok(());
        };
        let port = url.port_or_known_default().unwrap_or(80);
        self.resolve(name, port).await.map(|_| ())
    }

    fn check_ip(&self, ip: IpAddr) -> Result<(), Blocked> {
        if self.allow_private || is_public(ip) || self.allowed.iter().any(|n| n.contains(&ip)) {
            Ok(())
        } else {
            Err(Blocked(format!("{ip} is not a public address")))
        }
    }

    /// The addresses of `name`, all of them allowed, or why not.
    async fn resolve(&self, name: &str, port: u16) -> Result<Vec<SocketAddr>, Blocked> {
        let found = tokio::net::lookup_host((name, port))
            .await
            .map_err(|e| Blocked(format!("{name} does not resolve: {e}")))?;
        let addrs: Vec<SocketAddr> = found.collect();
        if addrs.is_empty() {
            return Err(Blocked(format!("{name} has no address")));
        }
        for addr in &addrs {
            self.check_ip(addr.ip())
                .map_err(|Blocked(why)| Blocked(format!("{name} resolves to {why}")))?;
        }
        Ok(addrs)
    }

    /// A client bound to this policy: names resolve through the check, redirects are checked
    /// hop by hop, and no proxy from the environment is used (a proxy would resolve the name
    /// itself, out of the check's sight).
    pub fn client(&self, builder: reqwest::ClientBuilder) -> reqwest::Client {
        let policy = self.clone();
        let redirects = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= MAX_REDIRECTS {
                return attempt.error(Blocked("too many redirects".into()));
            }
            match policy.check_url(attempt.url()) {
                Ok(()) => attempt.follow(),
                Err(blocked) => attempt.error(blocked),
            }
        });
        builder
            .dns_resolver(Arc::new(GuardedResolver(self.clone())))
            .redirect(redirects)
            .no_proxy()
            .build()
            .expect("a TLS backend is compiled in")
    }
}

const MAX_REDIRECTS: usize = 5;

/// Resolves names for [`AddressPolicy::client`], refusing any that has a disallowed address.
struct GuardedResolver(AddressPolicy);

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.0.clone();
        Box::pin(async move {
            // reqwest puts the URL's port on the addresses it gets back.
            let addrs = policy.resolve(name.as_str(), 0).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// Whether `err`, or anything it was caused by, is a [`Blocked`] refusal.
pub fn blocked_cause<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a Blocked> {
    let mut cause = Some(err);
    while let Some(e) = cause {
        if let Some(blocked) = e.downcast_ref::<Blocked>() {
            return Some(blocked);
        }
        cause = e.source();
    }
    None
}

#[cfg(test)]
mod tests;
