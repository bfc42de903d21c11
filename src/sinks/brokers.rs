//! The three brokers a sink publishes to, each through its well-kept client crate: NATS
//! JetStream (async-nats), RabbitMQ (lapin, publisher confirms) and Redis Streams (redis). A
//! publish returns once the broker has the message (a JetStream ack, a confirm, an XADD reply).

use std::future::IntoFuture;
use std::time::Duration;

use bytes::Bytes;

/// One event as a broker message: the envelope as body, with the Standard Webhooks headers.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The event id (decimal), also the message's deduplication id.
    pub id: i64,
    pub event_type: String,
    pub tenant_id: String,
    pub session_id: Option<String>,
    pub body: String,
    /// Seconds since the epoch, signed with the body.
    pub timestamp: i64,
    pub signature: String,
}

impl Outgoing {
    fn headers(&self) -> [(&'static str, String); 3] {
        [
            ("webhook-id", self.id.to_string()),
            ("webhook-timestamp", self.timestamp.to_string()),
            ("webhook-signature", self.signature.clone()),
        ]
    }
}

/// How long connecting or one publish may take before the broker counts as down.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Where a sink publishes, and how (the kinds of [`crate::domain::SinkKind`]).
#[derive(Debug, Clone)]
pub struct BrokerTarget {
    pub kind: String,
    pub url: String,
    /// NATS subject prefix, RabbitMQ exchange or Redis stream.
    pub destination: String,
    pub max_len: Option<i64>,
}

pub enum Broker {
    Nats(async_nats::jetstream::Context, String),
    Rabbit(lapin::Connection, lapin::Channel, String),
    Redis(redis::aio::MultiplexedConnection, String, Option<i64>),
}

/// Bounds a broker call by [`TIMEOUT`], with its error as text.
async fn bounded<T, E: std::fmt::Display>(
    what: &str,
    f: impl Future<Output = Result<T, E>>,
) -> Result<T, String> {
    match tokio::time::timeout(TIMEOUT, f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(format!("{what}: {e}")),
        Err(_) => Err(format!("{what}: no answer within {} s", TIMEOUT.as_secs())),
    }
}

impl Broker {
    /// Connects (and declares what the broker needs: a JetStream stream over the prefix, a
    /// durable topic exchange).
    pub async fn connect(target: &BrokerTarget) -> Result<Self, String> {
        match target.kind.as_str() {
            "nats" => connect_nats(target).await,
            "rabbitmq" => connect_rabbit(target).await,
            "redis" => {
                let client = redis::Client::open(target.url.as_str())
                    .map_err(|e| format!("redis url: {e}"))?;
                let conn =
                    bounded("redis connect", client.get_multiplexed_async_connection()).await?;
                Ok(Broker::Redis(
                    conn,
                    target.destination.clone(),
                    target.max_len,
                ))
            }
            other => Err(format!("unknown sink kind {other}")),
        }
    }

    /// Publishes `batch` in order, pipelined: every message is sent before the first
    /// confirmation is awaited. Answers how many leading messages the broker confirmed, and the
    /// error that stopped the rest (none when all were confirmed).
    pub async fn publish_batch(&mut self, batch: &[Outgoing]) -> (usize, Option<String>) {
        match self {
            Broker::Nats(js, prefix) => publish_nats(js, prefix, batch).await,
            Broker::Rabbit(_, channel, exchange) => publish_rabbit(channel, exchange, batch).await,
            Broker::Redis(conn, stream, max_len) => {
                publish_redis(conn, stream, *max_len, batch).await
            }
        }
    }

    pub async fn close(self) {
        if let Broker::Rabbit(conn, _, _) = self {
            let _ = tokio::time::timeout(TIMEOUT, conn.close(200, "sink stopped".into())).await;
        }
    }
}

/// The JetStream stream WARAS creates over a prefix when none covers it (`waras` → `WARAS`).
pub fn nats_stream_name(prefix: &str) -> String {
    prefix
        .chars()
        .map(|c| match c {
            c if c.is_ascii_alphanumeric() || c == '-' || c == '_' => c.to_ascii_uppercase(),
            _ => '_',
        })
        .collect()
}

/// `<prefix>.<tenant_id>.<session_id or _>.<event type>`.
pub fn nats_subject(prefix: &str, m: &Outgoing) -> String {
    format!(
        "{prefix}.{}.{}.{}",
        m.tenant_id,
        m.session_id.as_deref().unwrap_or("_"),
        m.event_type
    )
}

async fn connect_nats(target: &BrokerTarget) -> Result<Broker, String> {
    let options = async_nats::ConnectOptions::new()
        .connection_timeout(TIMEOUT)
        .request_timeout(Some(TIMEOUT));
    let client = bounded("nats connect", options.connect(target.url.as_str())).await?;
    let js = async_nats::jetstream::new(client);
    let prefix = target.destination.clone();
    let config = async_nats::jetstream::stream::Config {
        name: nats_stream_name(&prefix),
        subjects: vec![format!("{prefix}.>")],
        ..Default::default()
    };
    // A stream the operator made may cover the subjects already (then creating one fails as
    // overlapping); a publish nobody stores fails on its own.
    if let Err(e) = bounded("nats stream", js.get_or_create_stream(config)).await {
        log::debug!("sink: JetStream stream for {prefix}.> not created: {e}");
    }
    Ok(Broker::Nats(js, prefix))
}

async fn publish_nats(
    js: &async_nats::jetstream::Context,
    prefix: &str,
    batch: &[Outgoing],
) -> (usize, Option<String>) {
    let mut acks = Vec::with_capacity(batch.len());
    for m in batch {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Nats-Msg-Id", m.id.to_string().as_str());
        headers.insert("content-type", "application/json");
        for (name, value) in m.headers() {
            headers.insert(name, value.as_str());
        }
        let body = Bytes::from(m.body.clone());
        let sent = js.publish_with_headers(nats_subject(prefix, m), headers, body);
        match bounded("nats publish", sent).await {
            Ok(ack) => acks.push(ack),
            Err(e) => return confirmed_before(acks, "nats ack", e).await,
        }
    }
    confirmed_before(acks, "nats ack", String::new()).await
}

/// Awaits `pending` confirmations in order: how many came, and the first failure (or `after`,
/// the error that stopped the sending, when all that were sent came).
async fn confirmed_before<F, T, E>(
    pending: Vec<F>,
    what: &str,
    after: String,
) -> (usize, Option<String>)
where
    F: IntoFuture<Output = Result<T, E>>,
    E: std::fmt::Display,
{
    let mut done = 0;
    for p in pending {
        if let Err(e) = bounded(what, p.into_future()).await {
            return (done, Some(e));
        }
        done += 1;
    }
    (done, (!after.is_empty()).then_some(after))
}

async fn connect_rabbit(target: &BrokerTarget) -> Result<Broker, String> {
    use lapin::options::{ConfirmSelectOptions, ExchangeDeclareOptions};
    let conn = bounded(
        "rabbitmq connect",
        lapin::Connection::connect(&target.url, lapin::ConnectionProperties::default()),
    )
    .await?;
    let channel = bounded("rabbitmq channel", conn.create_channel()).await?;
    bounded(
        "rabbitmq confirms",
        channel.confirm_select(ConfirmSelectOptions::default()),
    )
    .await?;
    let durable = ExchangeDeclareOptions {
        durable: true,
        ..Default::default()
    };
    bounded(
        "rabbitmq exchange",
        channel.exchange_declare(
            target.destination.as_str().into(),
            lapin::ExchangeKind::Topic,
            durable,
            lapin::types::FieldTable::default(),
        ),
    )
    .await?;
    Ok(Broker::Rabbit(conn, channel, target.destination.clone()))
}

async fn publish_rabbit(
    channel: &lapin::Channel,
    exchange: &str,
    batch: &[Outgoing],
) -> (usize, Option<String>) {
    use lapin::types::{AMQPValue, FieldTable, LongString};
    let mut confirms = Vec::with_capacity(batch.len());
    for m in batch {
        let mut headers = FieldTable::default();
        for (name, value) in m.headers() {
            headers.insert(
                name.into(),
                AMQPValue::LongString(LongString::from(value.into_bytes())),
            );
        }
        let properties = lapin::BasicProperties::default()
            .with_message_id(m.id.to_string().into())
            .with_content_type("application/json".into())
            .with_delivery_mode(2)
            .with_timestamp(u64::try_from(m.timestamp).unwrap_or_default())
            .with_type(m.event_type.as_str().into())
            .with_headers(headers);
        let sent = channel.basic_publish(
            exchange.into(),
            m.event_type.as_str().into(),
            lapin::options::BasicPublishOptions::default(),
            m.body.as_bytes(),
            properties,
        );
        match bounded("rabbitmq publish", sent).await {
            Ok(confirm) => confirms.push(async move {
                match confirm.await {
                    Ok(lapin::Confirmation::Nack(_)) => {
                        Err("rabbitmq refused the message (nack)".to_string())
                    }
                    Ok(_) => Ok(()),
                    Err(e) => Err(e.to_string()),
                }
            }),
            Err(e) => return confirmed_before(confirms, "rabbitmq confirm", e).await,
        }
    }
    confirmed_before(confirms, "rabbitmq confirm", String::new()).await
}

/// XADD with the event id as the entry id (`<id>-0`): an entry the stream already has is
/// refused as not newer, which makes a repeated publish a no-op. The batch goes as one pipeline;
/// should any entry be refused, it is sent again one by one to tell which.
async fn publish_redis(
    conn: &mut redis::aio::MultiplexedConnection,
    stream: &str,
    max_len: Option<i64>,
    batch: &[Outgoing],
) -> (usize, Option<String>) {
    let mut pipe = redis::pipe();
    for m in batch {
        pipe.add_command(xadd(stream, max_len, m));
    }
    if bounded("redis XADD", pipe.query_async::<Vec<redis::Value>>(conn))
        .await
        .is_ok()
    {
        return (batch.len(), None);
    }
    for (i, m) in batch.iter().enumerate() {
        match bounded(
            "redis XADD",
            xadd(stream, max_len, m).query_async::<String>(conn),
        )
        .await
        {
            Ok(_) => {}
            Err(e) if e.contains("equal or smaller") => {}
            Err(e) => return (i, Some(e)),
        }
    }
    (batch.len(), None)
}

fn xadd(stream: &str, max_len: Option<i64>, m: &Outgoing) -> redis::Cmd {
    let mut cmd = redis::cmd("XADD");
    cmd.arg(stream);
    if let Some(n) = max_len {
        cmd.arg("MAXLEN").arg("~").arg(n);
    }
    cmd.arg(format!("{}-0", m.id))
        .arg("id")
        .arg(m.id.to_string())
        .arg("type")
        .arg(&m.event_type)
        .arg("envelope")
        .arg(&m.body);
    for (name, value) in m.headers() {
        cmd.arg(name).arg(value);
    }
    cmd
}
