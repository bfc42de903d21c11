//! An account's primary device ("the phone"): a real engine client logged in as device 0 with a
//! pre-provisioned store, connected to the sandbox in-process. Because it is a real protocol
//! client, whatever it sends or receives is end-to-end encrypted like any other device's traffic.

use std::sync::{Arc, Weak};
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use buffa::Message as _;
use bytes::Bytes;
use tokio::sync::{mpsc, watch};
use wacore::net::{DisconnectReason, Transport, TransportEvent, TransportFactory};
use wacore::store::traits::DeviceStore;
use wacore::store::{Device, InMemoryBackend};
use wacore::types::events::Event;
use wacore_binary::Jid;
use waproto::whatsapp as wa;
use whatsapp_rust::Client;
use whatsapp_rust::bot::Bot;

use crate::engine::SandboxRuntime;
use crate::net::core::{Core, PhoneClient, PhoneTask};

/// How long account creation waits for the phone to come online.
const PHONE_CONNECT_TIMEOUT: Duration = Duration::from_secs(60);
/// The phone keeps few one-time prekeys: nobody fetches many in a sandbox, and each costs time.
const PHONE_PREKEYS: usize = 30;

/// Connects engine clients to the sandbox without a socket: each transport is a pair of channels
/// into a fresh sandbox connection.
pub(crate) struct InProcessTransportFactory {
    core: Weak<Core>,
}

struct InProcessTransport {
    to_server: std::sync::Mutex<Option<mpsc::Sender<Bytes>>>,
}

#[async_trait::async_trait]
impl Transport for InProcessTransport {
    async fn send(&self, data: Bytes) -> Result<()> {
        let tx = self
            .to_server
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let tx = tx.ok_or_else(|| anyhow!("transport disconnected"))?;
        tx.send(data)
            .await
            .map_err(|_| anyhow!("sandbox connection closed"))
    }

    async fn disconnect(&self) {
        self.to_server
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
    }
}

#[async_trait::async_trait]
impl TransportFactory for InProcessTransportFactory {
    async fn create_transport(
        &self,
    ) -> Result<(Arc<dyn Transport>, async_channel::Receiver<TransportEvent>)> {
        let core = self
            .core
            .upgrade()
            .ok_or_else(|| anyhow!("sandbox stopped"))?;
        let (in_tx, in_rx) = mpsc::channel::<Bytes>(64);
        let (out_tx, mut out_rx) = mpsc::channel::<Bytes>(64);
        let (ev_tx, ev_rx) = async_channel::unbounded();
        core.rt
            .spawn(crate::server::stream::serve(core.clone(), in_rx, out_tx));
        let _ = ev_tx.send(TransportEvent::Connected).await;
        core.rt.spawn(async move {
            while let Some(chunk) = out_rx.recv().await {
                if ev_tx
                    .send(TransportEvent::DataReceived(chunk))
                    .await
                    .is_err()
                {
                    return;
                }
            }
            let _ = ev_tx
                .send(TransportEvent::Disconnected(DisconnectReason::StreamEnded))
                .await;
        });
        let transport = InProcessTransport {
            to_server: std::sync::Mutex::new(Some(in_tx)),
        };
        Ok((Arc::new(transport), ev_rx))
    }
}

/// Builds the phone's store from the account's keys and brings the phone online.
pub(crate) async fn start(core: Arc<Core>, phone: String) -> Result<()> {
    let phone = phone.as_str();
    let device = phone_device(&core, phone)?;
    let backend = InMemoryBackend::new();
    backend
        .save(&device)
        .await
        .map_err(|e| anyhow!("saving phone store: {e}"))?;
    // The phone holds the app state key it hands its companions, so its own chat changes
    // (archive, pin, …) are patches they can read.
    if let Some((key_id, key_data)) = sync_key(&core, phone) {
        let key = wacore::store::traits::AppStateSyncKey {
            key_data: key_data.to_vec(),
            fingerprint: Vec::new(),
            timestamp: chrono::Utc::now().timestamp_millis(),
        };
        wacore::store::traits::AppSyncStore::set_sync_key(&backend, &key_id, key)
            .await
            .map_err(|e| anyhow!("storing the app state key: {e}"))?;
    }

    let (connected_tx, mut connected_rx) = watch::channel(false);
    // What the phone sees is recorded in arrival order by one task per phone, off the engine's
    // event path (media downloads take a while).
    let (seen_tx, seen_rx) = mpsc::unbounded_channel::<Arc<Event>>();
    let bot = Bot::builder()
        .with_backend(backend)
        .with_transport_factory(InProcessTransportFactory {
            core: Arc::downgrade(&core),
        })
        .with_http_client(core.phone_http.clone())
        .with_runtime(SandboxRuntime::new(core.rt.clone()))
        .with_version((2, 3000, 0))
        .skip_history_sync()
        .with_wanted_pre_key_count(PHONE_PREKEYS)
        .on_event(move |event, _client| {
            if matches!(&*event, Event::Connected(_)) {
                let _ = connected_tx.send(true);
            }
            let _ = seen_tx.send(event);
            async {}
        })
        .build()
        .await
        .map_err(|e| anyhow!("building the phone client: {e}"))?;
    let handle = bot.spawn();
    let client = handle.client();
    core.rt.spawn(observe(
        Arc::downgrade(&core),
        phone.to_string(),
        Arc::downgrade(&client),
        seen_rx,
    ));
    core.lock_phones().insert(
        phone.to_string(),
        PhoneClient {
            client,
            _bot: handle,
        },
    );
    tokio::time::timeout(PHONE_CONNECT_TIMEOUT, connected_rx.wait_for(|c| *c))
        .await
        .context("the phone did not come online in time")?
        .map_err(|_| anyhow!("the phone stopped before it came online"))?;
    Ok(())
}

/// The phone's engine device: the account's identity and Noise keys, its own ADV identity, and
/// a signed prekey signed by that identity.
fn phone_device(core: &Core, phone: &str) -> Result<Device> {
    let mut device = Device::new();
    let mut net = core.lock_net();
    let acc = net
        .accounts
        .get_mut(phone)
        .ok_or_else(|| anyhow!("no account {phone}"))?;
    // The phone's store starts empty (also after a restart): keys it uploaded before are gone,
    // so the server must not hand them out any more.
    if let Some(primary) = acc.devices.get_mut(&0) {
        primary.prekeys.clear();
        primary.signed_prekey = None;
        primary.registration_id = None;
    }
    device.pn = Some(acc.pn_jid());
    device.lid = Some(acc.lid_jid());
    device.identity_key = acc.identity.clone();
    device.noise_key = acc.phone_noise.clone();
    device.push_name = acc.name.clone();
    device.account = Some(Arc::new(self_signed_identity(acc)?));
    // The signed prekey must be signed by the identity key it now carries.
    let signature = crate::certs::xeddsa_sign(
        &acc.identity.private_key,
        &device.signed_pre_key.public_key.serialize(),
    )?;
    device.signed_pre_key_signature = signature
        .try_into()
        .map_err(|_| anyhow!("XEdDSA signature is not 64 bytes"))?;
    Ok(device)
}

/// The primary device's own ADV identity (key index 0), signed by the account key.
fn self_signed_identity(acc: &crate::net::network::Account) -> Result<wa::ADVSignedDeviceIdentity> {
    let details = wa::ADVDeviceIdentity {
        raw_id: Some(acc.raw_id()),
        timestamp: Some(chrono::Utc::now().timestamp() as u64),
        key_index: Some(0),
        account_type: Some(wa::ADVEncryptionType::E2EE),
        device_type: Some(wa::ADVEncryptionType::E2EE),
    }
    .encode_to_vec();
    let identity_pub = acc.identity.public_key.public_key_bytes();
    let mut to_sign = vec![6u8, 0];
    to_sign.extend_from_slice(&details);
    to_sign.extend_from_slice(identity_pub);
    let account_signature = crate::certs::xeddsa_sign(&acc.identity.private_key, &to_sign)?;
    Ok(wa::ADVSignedDeviceIdentity {
        details: Some(details),
        account_signature_key: Some(identity_pub.to_vec()),
        account_signature: Some(account_signature),
        device_signature: None,
    })
}

/// Records what the phone receives: messages (media downloaded), receipts, chat states and
/// presences.
async fn observe(
    core: Weak<Core>,
    phone: String,
    client: Weak<Client>,
    mut seen: mpsc::UnboundedReceiver<Arc<Event>>,
) {
    while let Some(event) = seen.recv().await {
        let (Some(core), Some(client)) = (core.upgrade(), client.upgrade()) else {
            return;
        };
        match &*event {
            Event::Messages(batch) => {
                for msg in batch.iter() {
                    super::inbox::record(&core, &phone, &client, &msg.message, &msg.info).await;
                }
            }
            Event::Receipt(r) => super::activity::receipt(&core, &phone, r),
            Event::ChatPresence(c) => super::activity::chatstate(&core, &phone, c),
            Event::Presence(p) => super::activity::presence(&core, &phone, p),
            _ => {}
        }
    }
}

pub(crate) fn phone_client(core: &Core, phone: &str) -> Result<Arc<Client>> {
    core.lock_phones()
        .get(phone)
        .map(|p| p.client.clone())
        .ok_or_else(|| anyhow!("account {phone} has no phone online"))
}

/// Does what the network asks of the phones, until the sandbox ends.
pub(crate) async fn run_tasks(core: Weak<Core>, mut tasks: mpsc::UnboundedReceiver<PhoneTask>) {
    while let Some(task) = tasks.recv().await {
        let Some(core) = core.upgrade() else {
            return;
        };
        match task {
            PhoneTask::ShareAppStateKeys { phone } => share_app_state_keys(&core, &phone),
        }
    }
}

fn share_app_state_keys(core: &Core, phone: &str) {
    let Ok(client) = phone_client(core, phone) else {
        return;
    };
    let own = Jid::pn(phone);
    let Some((key_id, key_data)) = sync_key(core, phone) else {
        return;
    };
    let history = super::history::notification(core, phone);
    core.rt.spawn(async move {
        match client
            .send_message(own.clone(), key_share_message(key_id, key_data))
            .await
        {
            Ok(r) => log::debug!("sandbox phone shared app-state keys ({})", r.message_id),
            Err(e) => log::warn!("sandbox phone could not share app-state keys: {e}"),
        }
        // Then the history its new device starts from.
        if let Some(history) = history
            && let Err(e) = client.send_message(own, history).await
        {
            log::warn!("sandbox phone could not share its history: {e}");
        }
    });
}

/// The account's app state key (see `net::syncd::account_key`).
fn sync_key(core: &Core, phone: &str) -> Option<([u8; 6], [u8; 32])> {
    core.lock_net()
        .accounts
        .get(phone)
        .map(crate::net::syncd::account_key)
}

fn key_share_message(key_id: [u8; 6], key_data: [u8; 32]) -> wa::Message {
    let key = wa::message::AppStateSyncKey {
        key_id: buffa::MessageField::some(wa::message::AppStateSyncKeyId {
            key_id: Some(key_id.to_vec()),
        }),
        key_data: buffa::MessageField::some(wa::message::AppStateSyncKeyData {
            key_data: Some(key_data.to_vec()),
            fingerprint: buffa::MessageField::some(wa::message::AppStateSyncKeyFingerprint {
                raw_id: Some(1),
                current_index: Some(0),
                device_indexes: vec![0],
            }),
            timestamp: Some(chrono::Utc::now().timestamp_millis()),
        }),
    };
    wa::Message {
        protocol_message: buffa::MessageField::some(wa::message::ProtocolMessage {
            r#type: Some(wa::message::protocol_message::Type::AppStateSyncKeyShare),
            app_state_sync_key_share: buffa::MessageField::some(
                wa::message::AppStateSyncKeyShare { keys: vec![key] },
            ),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The account's phone creates a group with other accounts; returns the group as the admin API
/// shows it.
pub(crate) async fn create_group(
    core: Arc<Core>,
    phone: String,
    subject: String,
    members: Vec<String>,
) -> Result<crate::net::group_views::GroupInfo> {
    use wacore::iq::groups::{GroupCreateOptions, GroupParticipantOptions};
    let client = phone_client(&core, &phone)?;
    let participants = members
        .iter()
        .map(|m| GroupParticipantOptions::from_phone(Jid::pn(m.as_str())))
        .collect();
    let options = GroupCreateOptions::builder()
        .subject(subject)
        .participants(participants)
        .build();
    let created = core
        .rt
        .spawn(async move { client.groups().create_group(options).await })
        .await
        .context("phone group task failed")?
        .map_err(|e| anyhow!("creating the group failed: {e}"))?;
    let id = created.metadata.id.user.to_string();
    crate::net::group_views::info(&core, &id).ok_or_else(|| anyhow!("group {id} vanished"))
}
