//! Live operations on a WORKING session's WhatsApp connection (groups, contacts, profile, chat
//! actions, channels, status, media download) as typed, serialisable commands. The API builds a command, the one
//! door (`cluster::Sessions`) carries it to the session's owner — this process or another
//! instance — and the owner runs it here against its engine client. Every answer and every
//! refusal is plain data, so a forwarded call means the same as a local one.

pub mod blocking;
pub mod calls;
pub mod channels;
pub mod chats;
pub mod contacts;
pub mod groups;
pub mod media;
pub mod profile;
mod refusal;
pub mod status;

use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use whatsapp_rust::client::Client;

pub use refusal::Refusal;

/// A command with its typed answer: `Sessions::call(session, GetGroup { .. })` answers a
/// `Group`.
pub trait Call: Into<Command> {
    type Output: Serialize + DeserializeOwned + Send + 'static;
    /// The answer inside a [`Reply`], `None` when the reply belongs to another command.
    fn output(reply: Reply) -> Option<Self::Output>;
}

macro_rules! commands {
    ($($name:ident => $out:ty),* $(,)?) => {
        /// Every live command, tagged by its name on the wire.
        #[derive(Debug, Clone, Serialize, Deserialize)]
        #[serde(tag = "op", content = "args", rename_all = "snake_case")]
        pub enum Command {
            $($name($name)),*
        }

        /// The answer of each command, tagged like the command.
        #[derive(Debug, Serialize, Deserialize)]
        #[serde(tag = "op", content = "value", rename_all = "snake_case")]
        pub enum Reply {
            $($name($out)),*
        }

        $(
            impl From<$name> for Command {
                fn from(c: $name) -> Self {
                    Command::$name(c)
                }
            }

            impl Call for $name {
                type Output = $out;
                fn output(reply: Reply) -> Option<$out> {
                    #[allow(unreachable_patterns)]
                    match reply {
                        Reply::$name(v) => Some(v),
                        _ => None,
                    }
                }
            }
        )*

        impl Command {
            /// Runs the command on the session's engine client.
            pub async fn execute(self, client: Arc<Client>) -> Result<Reply, Refusal> {
                match self {
                    $(Command::$name(c) => c.run(&client).await.map(Reply::$name)),*
                }
            }

            /// What a 404 from WhatsApp means for this command ("group", "contact", …).
            pub fn what(&self) -> &'static str {
                match self {
                    $(Command::$name(_) => $name::WHAT),*
                }
            }
        }
    };
}

use blocking::{GetBlocklist, SetBlocked};
use calls::RejectCall;
use channels::{Channel, CreateChannel, FollowChannel, GetChannel, ListChannels, PostToChannel};
use chats::{ChatAction, MarkRead, SendChatState, SetPresence};
use contacts::{About, CheckNumbers, NumberCheck, Picture, ProfilePicture};
use groups::{
    ChangeParticipants, CreateGroup, GetGroup, Group, InviteLink, JoinGroup, Joined, LeaveGroup,
    ListGroups, ParticipantResult, UpdateGroup,
};
use media::{DownloadMedia, MediaBytes};
use profile::{DeviceNames, OwnDevice, RemovePicture, SetAbout, SetName, SetPicture};
use status::PostStatus;

commands! {
    ListGroups => Vec<Group>,
    CreateGroup => Group,
    GetGroup => Group,
    UpdateGroup => Group,
    ChangeParticipants => Vec<ParticipantResult>,
    InviteLink => String,
    JoinGroup => Joined,
    LeaveGroup => (),
    CheckNumbers => Vec<NumberCheck>,
    ProfilePicture => Option<Picture>,
    About => Option<String>,
    OwnDevice => DeviceNames,
    SetAbout => (),
    SetName => (),
    SetPicture => String,
    RemovePicture => (),
    MarkRead => (),
    SetPresence => (),
    SendChatState => (),
    DownloadMedia => MediaBytes,
    RejectCall => (),
    ChatAction => (),
    PostStatus => String,
    SetBlocked => (),
    GetBlocklist => Vec<String>,
    ListChannels => Vec<Channel>,
    GetChannel => Channel,
    FollowChannel => Channel,
    CreateChannel => Channel,
    PostToChannel => String,
}

/// A JID the API validated before, parsed again on the owner.
fn jid(raw: &str) -> Result<whatsapp_rust::wacore_binary::Jid, Refusal> {
    raw.parse()
        .map_err(|e| Refusal::invalid(format!("`{raw}` is not a JID: {e}")))
}

fn jids(raw: &[String]) -> Result<Vec<whatsapp_rust::wacore_binary::Jid>, Refusal> {
    raw.iter().map(|r| jid(r)).collect()
}

/// Bytes as base64 on the wire (a JSON array of numbers would be four times larger).
pub(crate) mod b64 {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}
