//! Media files: which kinds WhatsApp carries, what each accepts, and where the bytes come from
//! (the request itself, or a URL fetched under the SSRF guard and a size limit).

pub mod fetch;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The media kinds a message can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Image,
    Video,
    Audio,
    Document,
    Sticker,
}

impl MediaKind {
    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "image" => Self::Image,
            "video" => Self::Video,
            "audio" => Self::Audio,
            "document" => Self::Document,
            "sticker" => Self::Sticker,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Video => "video",
            Self::Audio => "audio",
            Self::Document => "document",
            Self::Sticker => "sticker",
        }
    }

    /// The mime types WhatsApp clients display for this kind (documents take anything).
    fn accepts(self, mimetype: &str) -> bool {
        let essence = mimetype.split(';').next().unwrap_or("").trim();
        match self {
            Self::Image => matches!(essence, "image/jpeg" | "image/png" | "image/webp"),
            Self::Sticker => essence == "image/webp",
            Self::Video => matches!(essence, "video/mp4" | "video/3gpp" | "video/quicktime"),
            Self::Audio => matches!(
                essence,
                "audio/ogg"
                    | "audio/mpeg"
                    | "audio/mp4"
                    | "audio/aac"
                    | "audio/amr"
                    | "audio/x-m4a"
            ),
            Self::Document => true,
        }
    }
}

/// A media file accepted for sending: its bytes with what was checked about them.
#[derive(Debug, Clone)]
pub struct MediaFile {
    pub kind: MediaKind,
    pub mimetype: String,
    pub filename: Option<String>,
    pub sha256: String,
    pub data: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is {size} bytes; at most {limit} are accepted")]
    TooLarge { size: usize, limit: usize },
    #[error("{0}")]
    WrongType(String),
    #[error("{0}")]
    Unreachable(String),
    #[error("{0}")]
    Invalid(String),
}

/// Checks `data` against `kind`: the content is sniffed from its bytes, and a declared
/// `mimetype` must agree with it (a document keeps what was declared).
pub fn accept(
    kind: MediaKind,
    data: Vec<u8>,
    declared: Option<&str>,
    filename: Option<String>,
    limit: usize,
) -> Result<MediaFile, MediaError> {
    if data.is_empty() {
        return Err(MediaError::Empty);
    }
    if data.len() > limit {
        return Err(MediaError::TooLarge {
            size: data.len(),
            limit,
        });
    }
    let declared = declared.map(str::trim).filter(|d| !d.is_empty());
    if let Some(d) = declared
        && (d.len() > 255 || !d.contains('/') || d.chars().any(char::is_control))
    {
        return Err(MediaError::Invalid(format!(
            "mimetype: {d:?} is not a mime type"
        )));
    }
    let sniffed = infer::get(&data).map(|t| t.mime_type());
    let mimetype = match kind {
        MediaKind::Document => declared
            .map(str::to_string)
            .or_else(|| sniffed.map(str::to_string))
            .unwrap_or_else(|| "application/octet-stream".to_string()),
        _ => {
            let Some(found) = sniffed.filter(|s| kind.accepts(s)) else {
                return Err(MediaError::WrongType(format!(
                    "the file is {} and cannot be sent as {} (accepted: {})",
                    sniffed.unwrap_or("of an unknown type"),
                    kind.as_str(),
                    accepted_list(kind)
                )));
            };
            match declared {
                // A declared type may refine the sniffed one (codecs, audio in an MP4 box).
                Some(d) if same_family(d, found) && kind.accepts(d) => d.to_string(),
                Some(d) => {
                    return Err(MediaError::WrongType(format!(
                        "mimetype {d:?} does not match the file's content ({found})"
                    )));
                }
                None if kind == MediaKind::Audio && found == "audio/ogg" => {
                    "audio/ogg; codecs=opus".to_string()
                }
                None => found.to_string(),
            }
        }
    };
    let sha256 = hex::encode(Sha256::digest(&data));
    Ok(MediaFile {
        kind,
        mimetype,
        filename,
        sha256,
        data,
    })
}

fn same_family(declared: &str, sniffed: &str) -> bool {
    let essence = declared.split(';').next().unwrap_or("").trim();
    essence == sniffed
        || (essence.starts_with("audio/") && sniffed.starts_with("audio/"))
        || (essence.starts_with("audio/") && sniffed == "video/mp4")
}

fn accepted_list(kind: MediaKind) -> &'static str {
    match kind {
        MediaKind::Image => "JPEG, PNG, WebP",
        MediaKind::Sticker => "WebP",
        MediaKind::Video => "MP4, 3GP, QuickTime",
        MediaKind::Audio => "OGG/Opus, MP3, M4A/AAC, AMR",
        MediaKind::Document => "any",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    #[test]
    fn sniffs_and_checks_declared_types() {
        let ok = accept(MediaKind::Image, PNG.to_vec(), None, None, 1024).unwrap();
        assert_eq!(ok.mimetype, "image/png");
        assert!(matches!(
            accept(
                MediaKind::Image,
                PNG.to_vec(),
                Some("image/jpeg"),
                None,
                1024
            ),
            Err(MediaError::WrongType(_))
        ));
        assert!(matches!(
            accept(MediaKind::Video, PNG.to_vec(), None, None, 1024),
            Err(MediaError::WrongType(_))
        ));
        assert!(matches!(
            accept(MediaKind::Image, PNG.to_vec(), None, None, 4),
            Err(MediaError::TooLarge { .. })
        ));
        let doc = accept(
            MediaKind::Document,
            b"hello".to_vec(),
            Some("text/plain"),
            None,
            64,
        );
        assert_eq!(doc.unwrap().mimetype, "text/plain");
        let ogg = accept(
            MediaKind::Audio,
            b"OggS\0\x02\0\0\0\0\0\0\0\0".to_vec(),
            None,
            None,
            64,
        );
        assert_eq!(ogg.unwrap().mimetype, "audio/ogg; codecs=opus");
    }
}
