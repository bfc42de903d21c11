//! Voice and video calls between accounts, as far as signalling goes: the offer rings every
//! linked device of the callee, and the call ends when a device rejects it, the callee's phone
//! answers it, or the caller hangs up. No media flows; the record shows how the call ended.

use serde::Serialize;
use wacore_binary::builder::NodeBuilder;
use wacore_binary::{Jid, Node};

use super::network::Network;

/// How far a call got.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CallStatus {
    Ringing,
    /// The callee's phone answered it.
    Accepted,
    /// A device of the callee declined it.
    Rejected,
    /// The caller hung up before anyone answered.
    Missed,
    /// The caller hung up after the callee's phone answered.
    Ended,
}

#[derive(Clone, Debug, Serialize)]
pub struct Call {
    pub id: String,
    /// The caller's phone number.
    pub from: String,
    /// The callee's phone number.
    pub to: String,
    pub video: bool,
    pub status: CallStatus,
    /// The device (`phone:device`) that rejected the call.
    pub rejected_by: Option<String>,
    pub created_at: i64,
}

fn now() -> String {
    chrono::Utc::now().timestamp().to_string()
}

/// The caller as the callee's devices see it: its LID (as WhatsApp addresses calls today).
fn caller_lid(net: &Network, caller: &str) -> Option<Jid> {
    net.accounts.get(caller).map(|a| a.lid_jid())
}

/// The `<call>` wrapper from the caller around one action.
fn wrapped(net: &Network, call: &Call, action: Node) -> Option<Node> {
    let from = caller_lid(net, &call.from)?;
    let notify = net.accounts.get(&call.from).map(|a| a.name.clone());
    let mut b = NodeBuilder::new("call")
        .attr("from", from)
        .attr("id", format!("{}.{}", call.id, action.tag))
        .attr("t", now())
        .attr("platform", "android")
        .attr("version", "2.25.1");
    if let Some(notify) = notify {
        b = b.attr("notify", notify);
    }
    Some(b.children([action]).build())
}

/// Sends `action` to every linked, connected device of the callee except `skip`.
fn to_callee(net: &Network, call: &Call, action: &Node, skip: Option<u16>) {
    let Some(node) = wrapped(net, call, action.clone()) else {
        return;
    };
    let Some(account) = net.accounts.get(&call.to) else {
        return;
    };
    for device in account.devices.values().filter(|d| d.linked) {
        if Some(device.id) != skip {
            net.deliver_live(&call.to, device.id, node.clone());
        }
    }
}

impl Network {
    /// `from` rings `to`: the offer goes to the callee's linked devices.
    pub fn ring(&mut self, from: &str, to: &str, video: bool) -> Call {
        let call = Call {
            id: format!("{:032X}", rand::random::<u128>()),
            from: from.to_string(),
            to: to.to_string(),
            video,
            status: CallStatus::Ringing,
            rejected_by: None,
            created_at: chrono::Utc::now().timestamp_millis(),
        };
        if let (Some(creator), Some(account)) = (caller_lid(self, from), self.accounts.get(from)) {
            let mut media = vec![
                NodeBuilder::new("audio")
                    .attr("enc", "opus")
                    .attr("rate", "16000")
                    .build(),
                NodeBuilder::new("audio")
                    .attr("enc", "opus")
                    .attr("rate", "8000")
                    .build(),
            ];
            if video {
                media.push(NodeBuilder::new("video").attr("enc", "vp8").build());
            }
            let offer = NodeBuilder::new("offer")
                .attr("call-id", call.id.clone())
                .attr("call-creator", creator)
                .attr("caller_pn", account.pn_jid())
                .children(media)
                .build();
            to_callee(self, &call, &offer, None);
        }
        self.calls.insert(call.id.clone(), call.clone());
        call
    }

    /// Ends a ringing call on the callee's devices with `reason` (none: the caller gave up).
    fn terminate(&self, call: &Call, reason: Option<&str>, skip: Option<u16>) {
        let Some(creator) = caller_lid(self, &call.from) else {
            return;
        };
        let mut b = NodeBuilder::new("terminate")
            .attr("call-id", call.id.clone())
            .attr("call-creator", creator);
        if let Some(reason) = reason {
            b = b.attr("reason", reason);
        }
        to_callee(self, call, &b.build(), skip);
    }

    /// A device of the callee declined: the call ends, its other devices stop ringing.
    pub fn call_rejected(&mut self, id: &str, phone: &str, device: u16) -> bool {
        let Some(call) = self.calls.get_mut(id) else {
            return false;
        };
        if call.to != phone || call.status != CallStatus::Ringing {
            return false;
        }
        call.status = CallStatus::Rejected;
        call.rejected_by = Some(format!("{phone}:{device}"));
        let call = call.clone();
        self.terminate(&call, Some("rejected_elsewhere"), Some(device));
        true
    }

    /// The callee's phone answers: its companions stop ringing.
    pub fn call_accepted(&mut self, id: &str) -> Option<Call> {
        let call = self.calls.get_mut(id)?;
        if call.status != CallStatus::Ringing {
            return None;
        }
        call.status = CallStatus::Accepted;
        let call = call.clone();
        self.terminate(&call, Some("accepted_elsewhere"), Some(0));
        Some(call)
    }

    /// The caller hangs up: a ringing call is missed, an answered one ended.
    pub fn call_ended(&mut self, id: &str) -> Option<Call> {
        let call = self.calls.get_mut(id)?;
        call.status = match call.status {
            CallStatus::Ringing => CallStatus::Missed,
            CallStatus::Accepted => CallStatus::Ended,
            _ => return None,
        };
        let call = call.clone();
        if call.status == CallStatus::Missed {
            self.terminate(&call, None, None);
        }
        Some(call)
    }

    /// The calls `phone` made or received, oldest first.
    pub fn calls_of(&self, phone: &str) -> Vec<Call> {
        let mut calls: Vec<Call> = self
            .calls
            .values()
            .filter(|c| c.from == phone || c.to == phone)
            .cloned()
            .collect();
        calls.sort_by_key(|c| c.created_at);
        calls
    }
}
