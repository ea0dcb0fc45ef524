//! The wire desk's vocabulary: providers (the agencies whose copy arrives), the payloads they
//! send, and the items in them with every version.
//!
//! An item is identified by its provider and the agency's own id; each version an agency sends is
//! kept. Which version is current is decided by [`VersionOrder`], never by arrival order, so an
//! older version arriving late is stored as history and the same version arriving twice changes
//! nothing.

use chrono::{DateTime, Utc};

use crate::text::InvalidValue;

crate::article::id_type!(/// Database identity of a wire provider.
    ProviderId);
crate::article::id_type!(/// Database identity of a wire item (one agency item, all its versions).
    WireItemId);
crate::article::id_type!(/// Database identity of a stored payload (the bytes as they arrived).
    PayloadId);
crate::article::id_type!(/// Database identity of one stored version of a wire item.
    WireVersionId);

/// A provider's short code, as agencies are named in datelines: `APP`, `AFP`, `REUTERS`.
/// One to sixteen ASCII letters, digits, `-` or `_`, kept in upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProviderCode(String);

impl ProviderCode {
    pub const MAX_CHARS: usize = 16;

    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let s = s.trim();
        if s.is_empty() {
            return Err(InvalidValue::new(
                "code",
                "give the provider a short code, e.g. APP",
            ));
        }
        if s.chars().count() > Self::MAX_CHARS {
            return Err(InvalidValue::new(
                "code",
                format!("a provider code has at most {} characters", Self::MAX_CHARS),
            ));
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(InvalidValue::new(
                "code",
                "a provider code has only letters A–Z, digits, - and _",
            ));
        }
        Ok(Self(s.to_ascii_uppercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ProviderCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a provider's copy reaches us.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProviderKind {
    /// Only files ingested from the command line or uploaded on the desk.
    Files,
    /// An RSS 2.0 or Atom feed, polled.
    Rss,
    /// IPTC ninjs documents over HTTP, polled.
    Ninjs,
    /// IPTC NewsML-G2 over HTTP, polled.
    NewsmlG2,
}

impl ProviderKind {
    pub const ALL: [Self; 4] = [Self::Files, Self::Rss, Self::Ninjs, Self::NewsmlG2];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Files => "files",
            Self::Rss => "rss",
            Self::Ninjs => "ninjs",
            Self::NewsmlG2 => "newsml-g2",
        }
    }

    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                InvalidValue::new(
                    "kind",
                    "a provider's kind is files, rss, ninjs or newsml-g2",
                )
            })
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Files => "Files only",
            Self::Rss => "RSS / Atom feed",
            Self::Ninjs => "ninjs over HTTP",
            Self::NewsmlG2 => "NewsML-G2 over HTTP",
        }
    }

    /// Whether the server polls a URL for this provider.
    pub fn polls(self) -> bool {
        self != Self::Files
    }
}

/// What happens to published articles built on an item the agency kills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KillPolicy {
    /// Every article built on the item is taken down at once.
    TakeDown,
    /// An urgent alert in the newsroom, with a one-click take-down.
    Alert,
}

impl KillPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TakeDown => "take-down",
            Self::Alert => "alert",
        }
    }

    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        match s.trim() {
            "take-down" => Ok(Self::TakeDown),
            "alert" => Ok(Self::Alert),
            _ => Err(InvalidValue::new(
                "kill_policy",
                "a kill policy is take-down or alert",
            )),
        }
    }
}

/// A provider as configured, without its credentials (which are never read back out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    pub id: ProviderId,
    pub code: ProviderCode,
    /// The agency's name: "Associated Press of Pakistan".
    pub name: String,
    /// The name readers see in the attribution line: "APP".
    pub attribution: String,
    pub kind: ProviderKind,
    pub url: Option<String>,
    /// Language of items that do not say theirs (a BCP 47 tag).
    pub language: String,
    pub poll_interval_secs: u32,
    pub kill_policy: KillPolicy,
    /// Whether credentials are stored (they are never shown).
    pub has_credentials: bool,
    pub paused: bool,
    pub created_at: DateTime<Utc>,
    pub health: PollHealth,
}

/// How polling a provider is going.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollHealth {
    /// Validators of the last answer, sent back for a conditional GET.
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub last_poll_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    /// Failed polls in a row.
    pub failures: u32,
    pub next_poll_at: Option<DateTime<Utc>>,
}

/// A provider to add or change; `credentials: None` on a change keeps the stored ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderSettings {
    pub code: ProviderCode,
    pub name: String,
    pub attribution: String,
    pub kind: ProviderKind,
    pub url: Option<String>,
    pub language: String,
    pub poll_interval_secs: u32,
    pub kill_policy: KillPolicy,
    pub credentials: Option<String>,
}

/// A wire format a payload was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WireFormat {
    Ninjs,
    NewsmlG2,
    Rss,
    Atom,
}

impl WireFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ninjs => "ninjs",
            Self::NewsmlG2 => "newsml-g2",
            Self::Rss => "rss",
            Self::Atom => "atom",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Ninjs, Self::NewsmlG2, Self::Rss, Self::Atom]
            .into_iter()
            .find(|f| f.as_str() == s)
    }
}

/// Whether an item version may be used, as the agency says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ItemStatus {
    Usable,
    /// Held back by the agency pending a check: do not use until it says otherwise.
    Withheld,
    /// Killed: must not be used, and what was built on it must come down.
    Canceled,
}

impl ItemStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Usable => "usable",
            Self::Withheld => "withheld",
            Self::Canceled => "canceled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "usable" => Some(Self::Usable),
            "withheld" => Some(Self::Withheld),
            "canceled" => Some(Self::Canceled),
            _ => None,
        }
    }
}

/// What a version says about the one before it, where the format signals it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VersionSignal {
    /// A first version, or a version that does not say.
    New,
    /// An update: more detail, a new development.
    Update,
    /// A correction of an error in an earlier version.
    Correction,
}

impl VersionSignal {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Update => "update",
            Self::Correction => "correction",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "new" => Some(Self::New),
            "update" => Some(Self::Update),
            "correction" => Some(Self::Correction),
            _ => None,
        }
    }
}

/// One version of one agency item, as read from a payload and before it is stored.
///
/// Text fields are as the agency sent them, except that `body_html` is sanitised and the dateline
/// (`ISLAMABAD, Nov 19 (APP):`) is taken off the body's start into `dateline`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingVersion {
    /// The agency's id for the item (a guid, a URI); the same across its versions.
    pub item_id: String,
    /// The agency's version label, where the format has one ("3", "v2").
    pub version: Option<String>,
    /// When the agency made this version.
    pub version_created: Option<DateTime<Utc>>,
    /// When the agency made the item's first version.
    pub first_created: Option<DateTime<Utc>>,
    pub status: ItemStatus,
    pub signal: VersionSignal,
    pub embargoed_until: Option<DateTime<Utc>>,
    pub expires: Option<DateTime<Utc>>,
    /// A BCP 47 tag, where the item gives one.
    pub language: Option<String>,
    pub headline: String,
    pub standfirst: String,
    /// The body as sanitised HTML, without the dateline.
    pub body_html: String,
    pub dateline: Option<String>,
    pub byline: Option<String>,
    /// The item's address at the agency, where it has one.
    pub link: Option<String>,
    pub keywords: Vec<String>,
    /// 1 (most urgent) to 9, where the format carries it.
    pub urgency: Option<u8>,
}

impl IncomingVersion {
    /// The label that identifies this version among the item's versions: the agency's own, or a
    /// hash of what it says when the format has none (RSS), so the same text is the same version.
    pub fn version_key(&self) -> String {
        match &self.version {
            Some(v) if !v.trim().is_empty() => v.trim().to_owned(),
            _ => format!("h:{}", &self.content_hash()[..16]),
        }
    }

    /// The order among versions: see [`VersionOrder`].
    pub fn order(&self) -> VersionOrder {
        VersionOrder {
            number: self
                .version
                .as_deref()
                .and_then(|v| v.trim().trim_start_matches(['v', 'V']).parse().ok()),
            created_ms: self.version_created.map(|t| t.timestamp_millis()),
        }
    }

    /// A hash of the body's words, ignoring markup, case, spacing and punctuation: the same text
    /// sent by two providers (a syndicated copy) has the same fingerprint.
    pub fn text_fingerprint(&self) -> String {
        let text = if self.body_html.trim().is_empty() {
            &self.headline
        } else {
            &self.body_html
        };
        // The words in lower case, one space between them, as UTF-8. ASCII (most of any text's
        // markup and much of its words) takes the short way; the rest is lowered as Unicode says.
        let mut words: Vec<u8> = Vec::with_capacity(text.len());
        let mut in_tag = false;
        let mut gap = false;
        let word = |words: &mut Vec<u8>, gap: &mut bool| {
            if *gap && !words.is_empty() {
                words.push(b' ');
            }
            *gap = false;
        };
        for c in text.chars() {
            match c {
                '<' => in_tag = true,
                '>' if in_tag => {
                    in_tag = false;
                    gap = true;
                }
                _ if in_tag => {}
                c if c.is_ascii_alphanumeric() => {
                    word(&mut words, &mut gap);
                    words.push(c.to_ascii_lowercase() as u8);
                }
                c if !c.is_ascii() && c.is_alphanumeric() => {
                    word(&mut words, &mut gap);
                    let mut buffer = [0; 4];
                    for lower in c.to_lowercase() {
                        words.extend_from_slice(lower.encode_utf8(&mut buffer).as_bytes());
                    }
                }
                _ => gap = true,
            }
        }
        fnv_hex(&[&words])
    }

    /// A hash of what readers would see (headline, standfirst, body, status), hex.
    pub fn content_hash(&self) -> String {
        fnv_hex(&[
            self.headline.as_bytes(),
            self.standfirst.as_bytes(),
            self.body_html.as_bytes(),
            self.status.as_str().as_bytes(),
        ])
    }
}

/// Which of two versions of an item is the later: by the agency's version number where both have
/// one, else by when the agency made them; a version that says neither is older than one that
/// does. Arrival order never decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct VersionOrder {
    pub number: Option<i64>,
    pub created_ms: Option<i64>,
}

/// A 128-bit FNV-1a hash of `parts` (separated, so ("ab","c") differs from ("a","bc")), as hex.
/// Not cryptographic: it tells versions of one item apart.
fn fnv_hex(parts: &[&[u8]]) -> String {
    const OFFSET: u128 = 0x6c62272e07bb014262b821756295c58d;
    const PRIME: u128 = 0x0000000001000000000000000000013B;
    let mut hash = OFFSET;
    for part in parts {
        for byte in part.iter().chain(&[0xff]) {
            hash ^= u128::from(*byte);
            hash = hash.wrapping_mul(PRIME);
        }
    }
    format!("{hash:032x}")
}

crate::article::id_type!(/// Database identity of an alert about a wire source.
    AlertId);

/// What the newsroom must hear about a wire item an article was built on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AlertKind {
    /// The agency sent a newer version.
    Updated,
    /// The agency corrected the item: offer a public correction.
    Corrected,
    /// The agency withheld the item: review the article.
    Withheld,
    /// The agency killed the item and the provider's policy leaves the take-down to an editor.
    Killed,
    /// The agency killed the item and the article was taken down at once.
    TakenDown,
}

impl AlertKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Updated => "updated",
            Self::Corrected => "corrected",
            Self::Withheld => "withheld",
            Self::Killed => "killed",
            Self::TakenDown => "taken-down",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Updated,
            Self::Corrected,
            Self::Withheld,
            Self::Killed,
            Self::TakenDown,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// Whether an editor must act now.
    pub fn urgent(self) -> bool {
        matches!(self, Self::Killed | Self::Withheld | Self::Corrected)
    }

    /// The flag on an article in the newsroom's list.
    pub fn flag(self) -> &'static str {
        match self {
            Self::Updated => "source updated",
            Self::Corrected => "source corrected",
            Self::Withheld => "source withheld",
            Self::Killed => "source killed",
            Self::TakenDown => "taken down by the wire desk",
        }
    }
}

/// A stored payload: the bytes as they arrived and what became of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadRecord {
    pub id: PayloadId,
    pub provider: ProviderId,
    /// Where it came from: a file name, an upload, a URL.
    pub origin: String,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
    pub size: u64,
    pub received_at: DateTime<Utc>,
    pub format: Option<WireFormat>,
    /// Why it could not be read, if it could not.
    pub error: Option<String>,
    /// Item versions it held that were new to us.
    pub stored_versions: u32,
}

/// What storing the versions read from one payload did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestOutcome {
    /// Versions stored that became their item's current version.
    pub current: u32,
    /// Versions stored as history (an older version that arrived late).
    pub history: u32,
    /// Versions we had already.
    pub unchanged: u32,
    /// Items whose current version changed (new items included).
    pub changed_items: Vec<WireItemId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fingerprint as first written (stored fingerprints were made this way).
    fn reference_fingerprint(text: &str) -> String {
        let mut words = String::new();
        let (mut in_tag, mut gap) = (false, false);
        for c in text.chars() {
            match c {
                '<' => in_tag = true,
                '>' if in_tag => {
                    in_tag = false;
                    gap = true;
                }
                _ if in_tag => {}
                c if c.is_alphanumeric() => {
                    if gap && !words.is_empty() {
                        words.push(' ');
                    }
                    gap = false;
                    words.extend(c.to_lowercase());
                }
                _ => gap = true,
            }
        }
        fnv_hex(&[words.as_bytes()])
    }

    proptest::proptest! {
        #[test]
        fn the_fingerprint_is_the_one_stored_before(text in "(<p>|</p>| |[a-zA-Z0-9]|[ÀİΣßاردوکراچی]|[,.!?]){0,60}") {
            let mut v = version(Some("1"), None);
            v.body_html = text.clone();
            proptest::prop_assume!(!text.trim().is_empty());
            proptest::prop_assert_eq!(v.text_fingerprint(), reference_fingerprint(&text));
        }
    }

    fn version(v: Option<&str>, created: Option<i64>) -> IncomingVersion {
        IncomingVersion {
            item_id: "x".into(),
            version: v.map(str::to_owned),
            version_created: created.and_then(DateTime::from_timestamp_millis),
            first_created: None,
            status: ItemStatus::Usable,
            signal: VersionSignal::New,
            embargoed_until: None,
            expires: None,
            language: None,
            headline: "H".into(),
            standfirst: String::new(),
            body_html: "<p>b</p>".into(),
            dateline: None,
            byline: None,
            link: None,
            keywords: vec![],
            urgency: None,
        }
    }

    #[test]
    fn codes_are_short_plain_and_upper_case() {
        assert_eq!(ProviderCode::parse(" app ").unwrap().as_str(), "APP");
        assert!(ProviderCode::parse("").is_err());
        assert!(ProviderCode::parse("A P P").is_err());
        assert!(ProviderCode::parse("APP\0").is_err());
        assert!(ProviderCode::parse(&"A".repeat(17)).is_err());
        assert!(ProviderCode::parse("ÄPP").is_err());
    }

    #[test]
    fn a_later_version_number_wins_over_a_later_time() {
        let two = version(Some("2"), Some(1_000));
        let three = version(Some("3"), Some(500));
        assert!(three.order() > two.order());
        assert!(version(Some("v10"), None).order() > version(Some("v9"), None).order());
        assert!(version(None, Some(2)).order() > version(None, Some(1)).order());
        assert!(version(None, Some(1)).order() > version(None, None).order());
    }

    #[test]
    fn the_same_words_in_other_markup_have_one_fingerprint() {
        let mut a = version(None, None);
        a.body_html = "<p>The Prime Minister said, on Tuesday:</p><p>“talks”</p>".into();
        let mut b = a.clone();
        b.body_html = "The prime minister said on Tuesday talks".into();
        assert_eq!(a.text_fingerprint(), b.text_fingerprint());
        b.body_html.push_str(" ended");
        assert_ne!(a.text_fingerprint(), b.text_fingerprint());
    }

    #[test]
    fn without_a_label_the_text_is_the_version() {
        let a = version(None, None);
        let mut b = a.clone();
        assert_eq!(a.version_key(), b.version_key());
        b.headline.push('!');
        assert_ne!(a.version_key(), b.version_key());
        assert_eq!(version(Some(" 4 "), None).version_key(), "4");
    }
}
