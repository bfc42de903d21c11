//! A group as the network keeps it: subject, members and admins, description, settings and
//! invite code. The `w:g2` protocol around it is in `server/groups.rs`.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Group {
    /// The user part of `{id}@g.us`.
    pub id: String,
    pub subject: String,
    pub creator: String,
    pub creation: i64,
    /// Account phone numbers, creator first; the creator is the super admin.
    pub members: Vec<String>,
    /// Members promoted to admin (besides the creator).
    #[serde(default)]
    pub admins: Vec<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub description_id: Option<String>,
    /// Only admins may send.
    #[serde(default)]
    pub announce: bool,
    /// Only admins may change the group's info.
    #[serde(default)]
    pub locked: bool,
    #[serde(default)]
    pub invite_code: Option<String>,
    #[serde(default)]
    pub subject_owner: Option<String>,
    #[serde(default)]
    pub subject_time: i64,
}

impl Group {
    pub fn is_admin(&self, phone: &str) -> bool {
        self.creator == phone || self.admins.iter().any(|a| a == phone)
    }
}
