//! How this instance takes part in a cluster: its id and address, the shared secret of the
//! instances' calls to each other, the lease TTL, its session cap and how long a drain may take.

use std::time::Duration;

use secrecy::ExposeSecret;
use sha2::Digest;

/// How this instance takes part in the cluster.
#[derive(Debug, Clone)]
pub struct ClusterConfig {
    pub instance_id: String,
    pub advertise_url: String,
    /// Authenticates the instances' calls to each other.
    pub secret: [u8; 32],
    pub lease_ttl: Duration,
    /// 0 = no cap.
    pub max_sessions: u32,
    pub drain_timeout: Duration,
}

impl ClusterConfig {
    /// This instance's part in a cluster, from the settings (see "Several instances" in the
    /// README).
    pub fn from_settings(
        settings: &crate::config::Settings,
        master_key: &[u8; 32],
        addr: std::net::SocketAddr,
    ) -> Self {
        let instance_id = match settings.instance_id.trim() {
            "" => format!("ins_{}", crate::auth::random_base62(12)),
            id => id.to_string(),
        };
        let advertise_url = match settings.advertise_url.trim() {
            "" if addr.ip().is_unspecified() => {
                let host = std::env::var("HOSTNAME")
                    .ok()
                    .filter(|h| !h.is_empty())
                    .or_else(|| {
                        std::fs::read_to_string("/etc/hostname")
                            .ok()
                            .map(|h| h.trim().to_string())
                            .filter(|h| !h.is_empty())
                    })
                    .unwrap_or_else(|| "127.0.0.1".into());
                format!("http://{host}:{}", addr.port())
            }
            "" => format!("http://{addr}"),
            url => url.trim_end_matches('/').to_string(),
        };
        let secret = match settings.cluster_secret.expose_secret().trim() {
            "" => crate::crypto::derive_key(master_key, "cluster"),
            given => {
                crate::crypto::derive_key(&sha2::Sha256::digest(given.as_bytes()).into(), "cluster")
            }
        };
        Self {
            instance_id,
            advertise_url,
            secret,
            lease_ttl: Duration::from_secs(settings.lease_ttl_secs.max(1)),
            max_sessions: settings.max_sessions,
            drain_timeout: Duration::from_secs(settings.drain_timeout_secs),
        }
    }

    pub(super) fn ttl_ms(&self) -> i64 {
        self.lease_ttl.as_millis() as i64
    }

    /// How long after a renewal began the leases are known to be held here.
    pub(super) fn safe_ms(&self) -> i64 {
        self.ttl_ms() * 2 / 3
    }
}
