//! The export format: JSON lines, one record a line, each with a `type`. `docs/EXPORT.md` is its
//! description for people; this module is its definition, with the rules every record is checked
//! by on the way in (the same ones the newsroom's forms apply).
//!
//! Records name one another by slug, e-mail address, image key and path, never by row id, so a
//! file written from one database reads into any other: SQLite or PostgreSQL, new or in use.

use chrono::{DateTime, SecondsFormat, Utc};
use dateline_domain::{
    ArticleStatus, AttributionMode, CommentKind, CommentStatus, CorrectionKind, Draft, Email,
    Headline, InvalidValue, Language, MenuLimits, MenuName, Name, NewUser, PortableArticle,
    PortableComment, PortableCorrection, PortableImage, PortableLabel, PortableMenu,
    PortableMenuItem, PortableMenuTarget, PortablePage, PortableRedirect, PortableRevision,
    RevisionKind, RevisionNumber, Role, SearchText, SiteSettings, Slug, Source, User,
    check_multiline, is_forbidden_char,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::articles::{MAX_BODY_BYTES, MAX_LABELS, MAX_STANDFIRST_CHARS};
use crate::media::{MAX_SIDE, MAX_TEXT_CHARS};
use crate::newsroom::MAX_NOTE_CHARS;
use crate::settings::{SettingsInput, parse_settings};
use dateline_domain::comment::{MAX_COMMENT_BYTES, MAX_COMMENT_FIELD_CHARS};

/// What the first line of every export says it is.
pub const FORMAT: &str = "dateline-export";
/// The version of the format this build writes and reads.
pub const VERSION: u32 = 1;
/// The longest line read, in bytes: an article at its limits (a 512 KB body, escaped) fits with
/// room to spare; anything longer is refused without being held in memory.
pub const MAX_LINE_BYTES: usize = 4 * 1024 * 1024;
/// The longest redirect path, in characters.
pub const MAX_PATH_CHARS: usize = 2_000;
/// The longest image key, in characters (Dateline's are 32).
pub const MAX_KEY_CHARS: usize = 64;
/// The most renditions an image record may list.
pub const MAX_RENDITIONS: usize = 16;

/// A time as the format writes it: RFC 3339, UTC, milliseconds (`2024-04-16T05:00:00.000Z`).
pub fn time_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// One line of an export.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[expect(
    clippy::large_enum_variant,
    reason = "records are read and written one at a time, never kept in bulk"
)]
pub enum Record {
    Header(HeaderLine),
    Settings(SettingsLine),
    Section(SectionLine),
    Tag(LabelLine),
    Author(LabelLine),
    User(UserLine),
    Image(ImageLine),
    Article(ArticleLine),
    Revision(RevisionLine),
    Redirect(RedirectLine),
    Comment(CommentLine),
    Page(PageLine),
    Menu(MenuLine),
}

/// The record types, as the `type` field names them.
pub const TYPES: [&str; 13] = [
    "header", "settings", "section", "tag", "author", "user", "image", "article", "revision",
    "redirect", "comment", "page", "menu",
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeaderLine {
    pub format: String,
    pub version: u32,
    pub exported_at: String,
    #[serde(default)]
    pub generator: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsLine {
    pub name: String,
    pub short_name: String,
    pub base_url: String,
    pub time_zone: String,
    pub language: String,
    pub attribution_template: String,
    pub attribution_template_agency_only: String,
    /// Absent in files written before the edited mode: the default line.
    #[serde(default)]
    pub attribution_template_edited: Option<String>,
    /// Whether article pages show comments; absent in files written before comments: off.
    #[serde(default)]
    pub show_comments: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectionLine {
    pub slug: String,
    pub name: String,
    #[serde(default)]
    pub position: i64,
}

/// A tag or a byline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelLine {
    pub slug: String,
    pub name: String,
}

/// A newsroom account, without its password hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserLine {
    pub email: String,
    pub name: String,
    pub role: String,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageLine {
    pub key: String,
    pub ext: String,
    pub width: u32,
    pub height: u32,
    pub renditions: Vec<u32>,
    /// The rendition files, relative to the media directory (written for readers of the file;
    /// an import derives them from `key`, `renditions` and `ext`).
    #[serde(default)]
    pub files: Vec<String>,
    pub alt: String,
    pub caption: String,
    pub credit: String,
    #[serde(default)]
    pub uploaded_by: Option<String>,
    pub created_at: String,
}

/// An article's attribution in export and demo files: `agencies` and `mode` (`as-received`,
/// `edited`, `additional-inputs`). Files written before an article could credit several agencies
/// name one as `agency`, with `additional_inputs` for the mode; both are still read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceLine {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agencies: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub additional_inputs: bool,
}

impl SourceLine {
    pub fn of(source: &Source) -> Self {
        Self {
            agency: None,
            agencies: source.agencies.clone(),
            mode: Some(source.mode.as_str().to_owned()),
            additional_inputs: false,
        }
    }

    /// The attribution this line names, checked.
    pub fn to_source(&self, field: &'static str) -> Result<Source, InvalidValue> {
        let mode = match &self.mode {
            Some(mode) => AttributionMode::parse(mode)?,
            None if self.additional_inputs => AttributionMode::AdditionalInputs,
            None => AttributionMode::AsReceived,
        };
        let mut source = Source {
            agencies: Vec::new(),
            mode,
        };
        for agency in self.agency.iter().chain(&self.agencies) {
            source.credit(Name::parse(field, agency)?.as_str());
        }
        if source.agencies.is_empty() || source.agencies.len() > Source::MAX_AGENCIES {
            return Err(InvalidValue::new(
                field,
                format!("must name 1 to {} agencies", Source::MAX_AGENCIES),
            ));
        }
        Ok(source)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrectionLine {
    pub kind: String,
    pub note: String,
    #[serde(default)]
    pub created_by: Option<String>,
    pub created_at: String,
}

/// An article: ninjs names where ninjs has the field (`headline`, `language`, `firstcreated`,
/// `versioncreated`, `embargoed`), Dateline's elsewhere.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArticleLine {
    pub slug: String,
    pub headline: String,
    #[serde(default)]
    pub standfirst: String,
    /// CommonMark plus Read More blocks, which name their targets by path (`/slug`).
    #[serde(default)]
    pub body: String,
    /// The section's slug.
    pub section: String,
    /// Tag slugs, in order.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Byline slugs, in order.
    #[serde(default)]
    pub authors: Vec<String>,
    #[serde(default)]
    pub source: Option<SourceLine>,
    pub status: String,
    pub language: String,
    pub firstcreated: String,
    /// When its content last changed; `firstcreated` when absent.
    #[serde(default)]
    pub versioncreated: Option<String>,
    #[serde(default)]
    pub firstpublished: Option<String>,
    /// When a scheduled article goes live.
    #[serde(default)]
    pub embargoed: Option<String>,
    /// The number of the newest revision (0: none).
    #[serde(default)]
    pub revision: i64,
    /// The number of the revision readers see.
    #[serde(default)]
    pub live_revision: Option<i64>,
    #[serde(default)]
    pub created_by: Option<String>,
    /// The key of its featured image.
    #[serde(default)]
    pub featured_image: Option<String>,
    #[serde(default)]
    pub corrections: Vec<CorrectionLine>,
    /// Slugs it had before on the site it comes from (a post renamed there), so that an import
    /// of a newer copy finds it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub previous_slugs: Vec<String>,
    /// What search engines and shared links show, when not the headline and standfirst.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub seo_title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub seo_description: String,
    /// When it was pinned to the home page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinned_at: Option<String>,
}

/// One revision of the working copy of the article whose line comes before it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevisionLine {
    /// The article's slug.
    pub article: String,
    pub number: i64,
    #[serde(default)]
    pub based_on: i64,
    pub kind: String,
    #[serde(default)]
    pub headline: String,
    #[serde(default)]
    pub standfirst: String,
    #[serde(default)]
    pub body: String,
    /// Section, tags and bylines by name, as the writer typed them.
    #[serde(default)]
    pub section: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub authors: Vec<String>,
    #[serde(default)]
    pub source: Option<SourceLine>,
    #[serde(default)]
    pub language: String,
    #[serde(default)]
    pub saved_by: Option<String>,
    pub saved_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedirectLine {
    pub from: String,
    pub to: String,
    pub created_at: String,
}

/// A standing page, keyed by its path (`/about-us/our-team`), which names its parent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageLine {
    pub path: String,
    pub title: String,
    pub body: String,
    #[serde(default)]
    pub description: String,
    /// `draft` or `published`.
    pub status: String,
    pub language: String,
    #[serde(default)]
    pub position: i64,
    pub created_at: String,
    #[serde(default)]
    pub updated_at: Option<String>,
    #[serde(default)]
    pub published_at: Option<String>,
}

/// One item of a menu: a label and exactly one of `page` (a page's path), `section` (a
/// section's slug) or `url` (a path on the site or an http(s) URL).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MenuItemLine {
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub nested: bool,
}

/// A whole menu, keyed by its name (`header` or `footer`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MenuLine {
    pub name: String,
    pub items: Vec<MenuItemLine>,
}

impl Record {
    /// Reads one line, or says in a sentence what is wrong with it.
    pub fn parse(line: &str) -> Result<Record, String> {
        let mut value: Value = serde_json::from_str(line).map_err(|e| {
            let text = e.to_string();
            let message = text.split(" at line ").next().unwrap_or(&text);
            format!("not valid JSON: {message} (column {})", e.column())
        })?;
        let Some(object) = value.as_object_mut() else {
            return Err("not a JSON object".to_owned());
        };
        let kind = match object.remove("type") {
            Some(Value::String(kind)) => kind,
            Some(_) => return Err("\"type\" must be a string".to_owned()),
            None => return Err("has no \"type\" field".to_owned()),
        };
        fn read<T: serde::de::DeserializeOwned>(kind: &str, value: Value) -> Result<T, String> {
            serde_json::from_value(value).map_err(|e| format!("{kind}: {e}"))
        }
        Ok(match kind.as_str() {
            "header" => Record::Header(read(&kind, value)?),
            "settings" => Record::Settings(read(&kind, value)?),
            "section" => Record::Section(read(&kind, value)?),
            "tag" => Record::Tag(read(&kind, value)?),
            "author" => Record::Author(read(&kind, value)?),
            "user" => Record::User(read(&kind, value)?),
            "image" => Record::Image(read(&kind, value)?),
            "article" => Record::Article(read(&kind, value)?),
            "revision" => Record::Revision(read(&kind, value)?),
            "redirect" => Record::Redirect(read(&kind, value)?),
            "comment" => Record::Comment(read(&kind, value)?),
            "page" => Record::Page(read(&kind, value)?),
            "menu" => Record::Menu(read(&kind, value)?),
            other => {
                return Err(format!(
                    "unknown type \"{}\" (expected one of: {})",
                    other.escape_debug(),
                    TYPES.join(", ")
                ));
            }
        })
    }

    /// The record as one line of JSON, without the line break.
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| {
            // Only maps with non-string keys fail to serialise; records have none.
            unreachable!("a record always serialises: {e}")
        })
    }

    /// The record's type, as the `type` field names it.
    pub fn kind(&self) -> &'static str {
        match self {
            Record::Header(_) => "header",
            Record::Settings(_) => "settings",
            Record::Section(_) => "section",
            Record::Tag(_) => "tag",
            Record::Author(_) => "author",
            Record::User(_) => "user",
            Record::Image(_) => "image",
            Record::Article(_) => "article",
            Record::Revision(_) => "revision",
            Record::Redirect(_) => "redirect",
            Record::Comment(_) => "comment",
            Record::Page(_) => "page",
            Record::Menu(_) => "menu",
        }
    }
}

/// Problems found in one record, every one of them.
#[derive(Debug, Default)]
pub struct Problems(pub Vec<InvalidValue>);

impl Problems {
    fn push(&mut self, e: InvalidValue) {
        self.0.push(e);
    }

    fn check<T>(&mut self, result: Result<T, InvalidValue>) -> Option<T> {
        result.map_err(|e| self.push(e)).ok()
    }

    fn done<T>(self, value: Option<T>) -> Result<T, Problems> {
        match value {
            Some(value) if self.0.is_empty() => Ok(value),
            _ => Err(self),
        }
    }
}

impl std::fmt::Display for Problems {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let all: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&all.join("; "))
    }
}

fn time(field: &'static str, s: &str) -> Result<DateTime<Utc>, InvalidValue> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            InvalidValue::new(
                field,
                "must be an RFC 3339 date and time such as 2024-04-16T05:00:00.000Z",
            )
        })
}

fn optional_time(
    field: &'static str,
    s: &Option<String>,
) -> Result<Option<DateTime<Utc>>, InvalidValue> {
    s.as_deref().map(|s| time(field, s)).transpose()
}

fn optional_email(field: &'static str, s: &Option<String>) -> Result<Option<Email>, InvalidValue> {
    s.as_deref()
        .map(|s| {
            Email::parse(s).map_err(|e| InvalidValue::new(field, format!("'{s}' {}", e.message)))
        })
        .transpose()
}

fn slug(field: &'static str, s: &str) -> Result<Slug, InvalidValue> {
    Slug::parse(s).map_err(|e| InvalidValue::new(field, format!("'{s}' {}", e.message)))
}

/// Checks an image key: the name of a directory under the media directory, so nothing but lower
/// case letters and digits (no `/`, no `..`).
pub fn image_key(field: &'static str, s: &str) -> Result<String, InvalidValue> {
    let fits = !s.is_empty()
        && s.len() <= MAX_KEY_CHARS
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if fits {
        Ok(s.to_owned())
    } else {
        Err(InvalidValue::new(
            field,
            format!("must be 1 to {MAX_KEY_CHARS} lower-case letters and digits"),
        ))
    }
}

fn source(field: &'static str, s: &Option<SourceLine>) -> Result<Option<Source>, InvalidValue> {
    s.as_ref().map(|s| s.to_source(field)).transpose()
}

fn source_line(s: &Option<Source>) -> Option<SourceLine> {
    s.as_ref().map(SourceLine::of)
}

impl SettingsLine {
    pub fn from_settings(s: &SiteSettings) -> Self {
        Self {
            name: s.name.clone(),
            short_name: s.short_name.clone(),
            base_url: s.base_url.clone(),
            time_zone: s.time_zone.name().to_owned(),
            language: s.locale.to_string(),
            attribution_template: s.attribution_template.clone(),
            attribution_template_agency_only: s.attribution_template_agency_only.clone(),
            attribution_template_edited: Some(s.attribution_template_edited.clone()),
            show_comments: Some(s.show_comments),
        }
    }

    /// Checked as the settings form checks them.
    pub fn check(&self) -> Result<SiteSettings, Problems> {
        let input = SettingsInput {
            name: self.name.clone(),
            short_name: self.short_name.clone(),
            base_url: self.base_url.clone(),
            time_zone: self.time_zone.clone(),
            locale: self.language.clone(),
            attribution_template: self.attribution_template.clone(),
            attribution_template_agency_only: self.attribution_template_agency_only.clone(),
            attribution_template_edited: self
                .attribution_template_edited
                .clone()
                .unwrap_or_else(|| SiteSettings::unconfigured().attribution_template_edited),
            show_comments: self.show_comments.unwrap_or(false),
        };
        parse_settings(&input).map_err(|e| match e {
            crate::ServiceError::Invalid(problems) => Problems(problems),
            other => Problems(vec![InvalidValue::new("settings", other.to_string())]),
        })
    }
}

impl SectionLine {
    pub fn from_label(l: &PortableLabel) -> Self {
        Self {
            slug: l.slug.to_string(),
            name: l.name.clone(),
            position: l.position,
        }
    }

    pub fn check(&self) -> Result<PortableLabel, Problems> {
        let label = LabelLine {
            slug: self.slug.clone(),
            name: self.name.clone(),
        };
        let mut checked = label.check()?;
        checked.position = self.position;
        Ok(checked)
    }
}

impl LabelLine {
    pub fn from_label(l: &PortableLabel) -> Self {
        Self {
            slug: l.slug.to_string(),
            name: l.name.clone(),
        }
    }

    pub fn check(&self) -> Result<PortableLabel, Problems> {
        let mut p = Problems::default();
        let slug = p.check(slug("slug", &self.slug));
        let name = p.check(Name::parse("name", &self.name));
        let label = slug.zip(name).map(|(slug, name)| PortableLabel {
            slug,
            name: name.into_string(),
            position: 0,
        });
        p.done(label)
    }
}

impl UserLine {
    pub fn from_user(u: &User) -> Self {
        Self {
            email: u.email.to_string(),
            name: u.name.clone(),
            role: u.role.as_str().to_owned(),
            created_at: time_text(u.created_at),
        }
    }

    /// The account, with `password_hash` (one nobody knows the password of).
    pub fn check(&self, password_hash: String) -> Result<NewUser, Problems> {
        let mut p = Problems::default();
        let email = p.check(Email::parse(&self.email));
        let name = p.check(Name::parse("name", &self.name));
        let role = p.check(Role::parse(&self.role));
        let created_at = p.check(time("created_at", &self.created_at));
        let user = match (email, name, role, created_at) {
            (Some(email), Some(name), Some(role), Some(created_at)) => Some(NewUser {
                email,
                name: name.into_string(),
                role,
                password_hash,
                created_at,
            }),
            _ => None,
        };
        p.done(user)
    }
}

/// The files of an image, relative to the media directory.
pub fn image_files(key: &str, ext: &str, renditions: &[u32]) -> Vec<String> {
    renditions
        .iter()
        .map(|w| format!("{key}/{w}.{ext}"))
        .collect()
}

impl ImageLine {
    pub fn from_image(i: &PortableImage) -> Self {
        Self {
            key: i.key.clone(),
            ext: i.ext.clone(),
            width: i.width,
            height: i.height,
            renditions: i.renditions.clone(),
            files: image_files(&i.key, &i.ext, &i.renditions),
            alt: i.alt.clone(),
            caption: i.caption.clone(),
            credit: i.credit.clone(),
            uploaded_by: i.uploaded_by.as_ref().map(ToString::to_string),
            created_at: time_text(i.created_at),
        }
    }

    pub fn check(&self) -> Result<PortableImage, Problems> {
        let mut p = Problems::default();
        let key = p.check(image_key("key", &self.key));
        if !matches!(self.ext.as_str(), "jpg" | "png") {
            p.push(InvalidValue::new("ext", "must be jpg or png"));
        }
        for (field, side) in [("width", self.width), ("height", self.height)] {
            if !(1..=MAX_SIDE).contains(&side) {
                p.push(InvalidValue::new(
                    field,
                    format!("must be 1 to {MAX_SIDE} pixels"),
                ));
            }
        }
        let ascending = self.renditions.windows(2).all(|w| w[0] < w[1]);
        let fit = self
            .renditions
            .iter()
            .all(|r| (1..=self.width.max(1)).contains(r));
        if self.renditions.is_empty()
            || self.renditions.len() > MAX_RENDITIONS
            || !ascending
            || !fit
        {
            p.push(InvalidValue::new(
                "renditions",
                format!(
                    "must be 1 to {MAX_RENDITIONS} widths, smallest first, none wider than the image"
                ),
            ));
        }
        let mut text = |field: &'static str, value: &str| {
            let value = value.trim();
            if value.is_empty()
                || value.chars().count() > MAX_TEXT_CHARS
                || value.chars().any(is_forbidden_char)
            {
                p.push(InvalidValue::new(
                    field,
                    format!("must be one line of 1 to {MAX_TEXT_CHARS} characters"),
                ));
            }
            value.to_owned()
        };
        let alt = text("alt", &self.alt);
        let caption = text("caption", &self.caption);
        let credit = text("credit", &self.credit);
        let uploaded_by = p.check(optional_email("uploaded_by", &self.uploaded_by));
        let created_at = p.check(time("created_at", &self.created_at));
        let image = match (key, uploaded_by, created_at) {
            (Some(key), Some(uploaded_by), Some(created_at)) => Some(PortableImage {
                key,
                ext: self.ext.clone(),
                width: self.width,
                height: self.height,
                renditions: self.renditions.clone(),
                alt,
                caption,
                credit,
                uploaded_by,
                created_at,
            }),
            _ => None,
        };
        p.done(image)
    }
}

impl ArticleLine {
    /// The line of `a`, whose body already names its Read More targets by path.
    pub fn from_article(a: &PortableArticle, body: String) -> Self {
        Self {
            slug: a.slug.to_string(),
            headline: a.headline.clone(),
            standfirst: a.standfirst.clone(),
            body,
            section: a.section.to_string(),
            tags: a.tags.iter().map(ToString::to_string).collect(),
            authors: a.authors.iter().map(ToString::to_string).collect(),
            source: source_line(&a.source),
            status: a.status.as_str().to_owned(),
            language: a.language.to_string(),
            firstcreated: time_text(a.created_at),
            versioncreated: Some(time_text(a.updated_at)),
            firstpublished: a.published_at.map(time_text),
            embargoed: a.scheduled_at.map(time_text),
            revision: a.revision.0,
            live_revision: a.live_revision.map(|n| n.0),
            created_by: a.created_by.as_ref().map(ToString::to_string),
            featured_image: a.featured_image.clone(),
            corrections: a
                .corrections
                .iter()
                .map(|c| CorrectionLine {
                    kind: c.kind.as_str().to_owned(),
                    note: c.note.clone(),
                    created_by: c.created_by.as_ref().map(ToString::to_string),
                    created_at: time_text(c.created_at),
                })
                .collect(),
            previous_slugs: a
                .previous_slugs
                .iter()
                .map(|s| s.as_str().to_owned())
                .collect(),
            seo_title: a.search.title.clone(),
            seo_description: a.search.description.clone(),
            pinned_at: a.pinned_at.map(time_text),
        }
    }

    /// Checks every field as the newsroom would (all problems at once). The body is checked for
    /// its size and characters here; its Read More blocks by the import, which resolves them.
    /// The result's `body_html` is empty: the import renders it.
    pub fn check(&self) -> Result<PortableArticle, Problems> {
        let mut p = Problems::default();
        let slug = p.check(slug("slug", &self.slug));
        let headline = p.check(Headline::parse(&self.headline));
        let standfirst = self.standfirst.trim().to_owned();
        if standfirst.chars().count() > MAX_STANDFIRST_CHARS {
            p.push(InvalidValue::new(
                "standfirst",
                format!("is longer than {MAX_STANDFIRST_CHARS} characters"),
            ));
        }
        p.check(check_multiline("standfirst", &self.standfirst));
        if self.body.len() > MAX_BODY_BYTES {
            p.push(InvalidValue::new("body", "is larger than 512 KB"));
        }
        p.check(check_multiline("body", &self.body));
        let section = p.check(slug_field("section", &self.section));
        let tags = labels("tags", &self.tags, &mut p);
        let authors = labels("authors", &self.authors, &mut p);
        let source = p.check(source("source", &self.source));
        let status = ArticleStatus::parse(&self.status);
        if status.is_none() {
            p.push(InvalidValue::new(
                "status",
                "must be one of draft, in_review, scheduled, published, unpublished",
            ));
        }
        let language = p.check(Language::parse(&self.language));
        let created_at = p.check(time("firstcreated", &self.firstcreated));
        let updated_at = p.check(optional_time("versioncreated", &self.versioncreated));
        let published_at = p.check(optional_time("firstpublished", &self.firstpublished));
        let scheduled_at = p.check(optional_time("embargoed", &self.embargoed));
        if status == Some(ArticleStatus::Published) && self.firstpublished.is_none() {
            p.push(InvalidValue::new(
                "firstpublished",
                "is required for a published article",
            ));
        }
        if status == Some(ArticleStatus::Scheduled) && self.embargoed.is_none() {
            p.push(InvalidValue::new(
                "embargoed",
                "is required for a scheduled article",
            ));
        }
        if self.revision < 0 {
            p.push(InvalidValue::new("revision", "must be 0 or more"));
        }
        if self.live_revision.is_some_and(|n| n < 1) {
            p.push(InvalidValue::new("live_revision", "must be 1 or more"));
        }
        let created_by = p.check(optional_email("created_by", &self.created_by));
        if self.previous_slugs.len() > MAX_LABELS {
            p.push(InvalidValue::new(
                "previous_slugs",
                format!("at most {MAX_LABELS}"),
            ));
        }
        let previous_slugs: Vec<Slug> = self
            .previous_slugs
            .iter()
            .take(MAX_LABELS)
            .filter_map(|s| p.check(slug_field("previous_slugs", s)))
            .collect();
        let search = match SearchText::parse(&self.seo_title, &self.seo_description) {
            Ok(search) => Some(search),
            Err(problems) => {
                for problem in problems {
                    p.push(problem);
                }
                None
            }
        };
        let pinned_at = p.check(
            self.pinned_at
                .as_deref()
                .map(|t| time("pinned_at", t))
                .transpose(),
        );
        let featured_image = p.check(
            self.featured_image
                .as_deref()
                .map(|k| image_key("featured_image", k))
                .transpose(),
        );
        let mut corrections = Vec::with_capacity(self.corrections.len());
        for c in &self.corrections {
            let kind = c.kind.parse::<CorrectionKind>().ok();
            if kind.is_none() {
                p.push(InvalidValue::new(
                    "corrections",
                    "kind must be correction or update",
                ));
            }
            let note = c.note.trim();
            if note.is_empty() || note.chars().count() > MAX_NOTE_CHARS {
                p.push(InvalidValue::new(
                    "corrections",
                    format!("a note must be 1 to {MAX_NOTE_CHARS} characters"),
                ));
            }
            p.check(check_multiline("corrections", note));
            let by = p.check(optional_email("corrections", &c.created_by));
            let at = p.check(time("corrections", &c.created_at));
            if let (Some(kind), Some(created_by), Some(created_at)) = (kind, by, at) {
                corrections.push(PortableCorrection {
                    kind,
                    note: note.to_owned(),
                    created_by,
                    created_at,
                });
            }
        }
        let article = match (
            (slug, headline, section, status, language),
            (created_at, updated_at, published_at, scheduled_at),
            (source, created_by, featured_image),
            (search, pinned_at),
        ) {
            (
                (Some(slug), Some(headline), Some(section), Some(status), Some(language)),
                (Some(created_at), Some(updated_at), Some(published_at), Some(scheduled_at)),
                (Some(source), Some(created_by), Some(featured_image)),
                (Some(search), Some(pinned_at)),
            ) => Some(PortableArticle {
                slug,
                headline: headline.into_string(),
                standfirst,
                body: self.body.clone(),
                body_html: String::new(),
                section,
                tags,
                authors,
                source,
                status,
                language,
                published_at,
                created_at,
                updated_at: updated_at.unwrap_or(created_at),
                scheduled_at,
                revision: RevisionNumber(self.revision),
                live_revision: self.live_revision.map(RevisionNumber),
                created_by,
                featured_image,
                corrections,
                previous_slugs,
                search,
                pinned_at,
            }),
            _ => None,
        };
        p.done(article)
    }
}

fn slug_field(field: &'static str, s: &str) -> Result<Slug, InvalidValue> {
    slug(field, s)
}

/// Tag or byline slugs: at most [`MAX_LABELS`], each once.
fn labels(field: &'static str, slugs: &[String], p: &mut Problems) -> Vec<Slug> {
    if slugs.len() > MAX_LABELS {
        p.push(InvalidValue::new(
            field,
            format!("no more than {MAX_LABELS}"),
        ));
        return Vec::new();
    }
    let mut out: Vec<Slug> = Vec::with_capacity(slugs.len());
    for s in slugs {
        match slug(field, s) {
            Ok(slug) if out.contains(&slug) => {
                p.push(InvalidValue::new(field, format!("'{slug}' is named twice")));
            }
            Ok(slug) => out.push(slug),
            Err(e) => p.push(e),
        }
    }
    out
}

impl RevisionLine {
    /// The line of `r`, whose body already names its Read More targets by path where it named
    /// them by id.
    pub fn from_revision(r: &PortableRevision, body: String) -> Self {
        let d = &r.draft;
        Self {
            article: r.article.to_string(),
            number: r.number.0,
            based_on: r.based_on.0,
            kind: r.kind.as_str().to_owned(),
            headline: d.headline.clone(),
            standfirst: d.standfirst.clone(),
            body,
            section: d.section.clone(),
            tags: d.tags.clone(),
            authors: d.authors.clone(),
            source: source_line(&d.source),
            language: d.language.clone(),
            saved_by: r.saved_by.as_ref().map(ToString::to_string),
            saved_at: time_text(r.saved_at),
        }
    }

    /// Checks the revision as an autosave is checked (a working copy may not be valid yet, but
    /// keeps the limits and holds no control characters); it belongs to the article created at
    /// `article_created_at`.
    pub fn check(&self, article_created_at: DateTime<Utc>) -> Result<PortableRevision, Problems> {
        let mut p = Problems::default();
        let article = p.check(slug("article", &self.article));
        if self.number < 1 {
            p.push(InvalidValue::new("number", "must be 1 or more"));
        }
        if self.based_on < 0 {
            p.push(InvalidValue::new("based_on", "must be 0 or more"));
        }
        let kind = RevisionKind::parse(&self.kind);
        if kind.is_none() {
            p.push(InvalidValue::new(
                "kind",
                "must be one of save, autosave, restore, conflict",
            ));
        }
        let draft = Draft {
            headline: self.headline.clone(),
            standfirst: self.standfirst.clone(),
            body: self.body.clone(),
            section: self.section.clone(),
            tags: self.tags.clone(),
            authors: self.authors.clone(),
            source: self
                .source
                .as_ref()
                .and_then(|s| s.to_source("source").ok()),
            language: self.language.clone(),
        };
        p.check(draft.check_characters());
        if let Err(crate::ServiceError::Invalid(problems)) = crate::newsroom::check_limits(&draft) {
            p.0.extend(problems);
        }
        let saved_by = p.check(optional_email("saved_by", &self.saved_by));
        let saved_at = p.check(time("saved_at", &self.saved_at));
        let revision = match (article, kind, saved_by, saved_at) {
            (Some(article), Some(kind), Some(saved_by), Some(saved_at)) => Some(PortableRevision {
                article,
                article_created_at,
                number: RevisionNumber(self.number),
                based_on: RevisionNumber(self.based_on),
                kind,
                draft,
                saved_by,
                saved_at,
            }),
            _ => None,
        };
        p.done(revision)
    }
}

impl RedirectLine {
    pub fn from_redirect(r: &PortableRedirect) -> Self {
        Self {
            from: r.from_path.clone(),
            to: r.to_path.clone(),
            created_at: time_text(r.created_at),
        }
    }

    pub fn check(&self) -> Result<PortableRedirect, Problems> {
        let mut p = Problems::default();
        for (field, path) in [("from", &self.from), ("to", &self.to)] {
            let fits = path.starts_with('/')
                && path.chars().count() <= MAX_PATH_CHARS
                && !path
                    .chars()
                    .any(|c| c.is_whitespace() || is_forbidden_char(c));
            if !fits {
                p.push(InvalidValue::new(
                    field,
                    format!(
                        "must be a path starting with / of at most {MAX_PATH_CHARS} characters, without spaces"
                    ),
                ));
            }
        }
        if self.from == self.to {
            p.push(InvalidValue::new("to", "must differ from the old path"));
        }
        let created_at = p.check(time("created_at", &self.created_at));
        let redirect = created_at.map(|created_at| PortableRedirect {
            from_path: self.from.clone(),
            to_path: self.to.clone(),
            created_at,
        });
        p.done(redirect)
    }
}

/// A comment on an article. It names its article by slug and creation time, and its parent
/// (the comment it answers, which comes above it in the file) by creation time and author.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommentLine {
    pub article: String,
    /// The article's `firstcreated`.
    pub article_created: String,
    pub created_at: String,
    pub author: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub url: String,
    /// Plain text; paragraphs separated by blank lines.
    pub body: String,
    /// `approved` or `pending`.
    pub status: String,
    /// `comment` or `pingback`.
    #[serde(default = "comment_kind")]
    pub kind: String,
    #[serde(default)]
    pub parent: Option<CommentParent>,
    /// The e-mail address of the account that wrote it.
    #[serde(default)]
    pub user: Option<String>,
}

fn comment_kind() -> String {
    CommentKind::Comment.as_str().to_owned()
}

/// The comment a reply answers: its creation time and author, on the same article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommentParent {
    pub created_at: String,
    pub author: String,
}

impl CommentLine {
    pub fn from_comment(c: &PortableComment) -> Self {
        Self {
            article: c.article.to_string(),
            article_created: time_text(c.article_created_at),
            created_at: time_text(c.created_at),
            author: c.author_name.clone(),
            email: c.author_email.clone(),
            url: c.author_url.clone(),
            body: c.body.clone(),
            status: c.status.as_str().to_owned(),
            kind: c.kind.as_str().to_owned(),
            parent: c.parent.as_ref().map(|(at, author)| CommentParent {
                created_at: time_text(*at),
                author: author.clone(),
            }),
            user: c.user.as_ref().map(ToString::to_string),
        }
    }

    pub fn check(&self) -> Result<PortableComment, Problems> {
        let mut p = Problems::default();
        let article = p.check(slug("article", &self.article));
        let article_created_at = p.check(time("article_created", &self.article_created));
        let created_at = p.check(time("created_at", &self.created_at));
        let mut field = |name: &'static str, value: &str, required: bool| {
            if required && value.trim().is_empty() {
                p.push(InvalidValue::new(name, "must not be empty"));
            } else if value.chars().count() > MAX_COMMENT_FIELD_CHARS {
                p.push(InvalidValue::new(
                    name,
                    format!("is longer than {MAX_COMMENT_FIELD_CHARS} characters"),
                ));
            } else if value.chars().any(is_forbidden_char) || value.contains(['\n', '\r']) {
                p.push(InvalidValue::new(
                    name,
                    "must be one line without control characters",
                ));
            }
        };
        field("author", &self.author, true);
        field("email", &self.email, false);
        field("url", &self.url, false);
        if let Some(parent) = &self.parent {
            field("parent.author", &parent.author, true);
        }
        if self.body.trim().is_empty() {
            p.push(InvalidValue::new("body", "must not be empty"));
        } else if self.body.len() > MAX_COMMENT_BYTES {
            p.push(InvalidValue::new("body", "is larger than 64 KB"));
        }
        p.check(check_multiline("body", &self.body));
        let status = p.check(CommentStatus::parse(&self.status));
        let kind = p.check(CommentKind::parse(&self.kind));
        let parent = match &self.parent {
            Some(parent) => p
                .check(time("parent.created_at", &parent.created_at))
                .map(|at| Some((at, parent.author.clone()))),
            None => Some(None),
        };
        let user = p.check(optional_email("user", &self.user));
        let comment = match (
            article,
            article_created_at,
            created_at,
            status,
            kind,
            parent,
            user,
        ) {
            (
                Some(article),
                Some(article_created_at),
                Some(created_at),
                Some(status),
                Some(kind),
                Some(parent),
                Some(user),
            ) => Some(PortableComment {
                article,
                article_created_at,
                parent,
                author_name: self.author.clone(),
                author_email: self.email.clone(),
                author_url: self.url.clone(),
                body: self.body.clone(),
                status,
                kind,
                created_at,
                user,
            }),
            _ => None,
        };
        p.done(comment)
    }
}

/// A page's path as the format writes it: `/about-us/our-team`, decoded.
pub fn page_path_text(path: &[Slug]) -> String {
    dateline_domain::SitePath::page(path).decoded().into_owned()
}

/// Reads a page's path: `/` and one to [`Page::MAX_DEPTH`] + 1 slugs.
///
/// [`Page::MAX_DEPTH`]: dateline_domain::Page::MAX_DEPTH
pub fn page_path(field: &'static str, s: &str) -> Result<Vec<Slug>, InvalidValue> {
    let bad = || {
        InvalidValue::new(
            field,
            "must be a page's path: / and its slugs from the top, such as /about-us/our-team",
        )
    };
    let rest = s.strip_prefix('/').ok_or_else(bad)?;
    let slugs: Vec<Slug> = rest
        .split('/')
        .map(|part| Slug::parse(part).map_err(|_| bad()))
        .collect::<Result<_, _>>()?;
    if slugs.is_empty() || slugs.len() > dateline_domain::Page::MAX_DEPTH + 1 {
        return Err(bad());
    }
    if slugs.len() == 1 && dateline_domain::Page::reserved(&slugs[0]) {
        return Err(InvalidValue::new(
            field,
            format!("{s} is one of the site's own addresses"),
        ));
    }
    Ok(slugs)
}

impl PageLine {
    pub fn from_page(p: &PortablePage) -> Self {
        Self {
            path: page_path_text(&p.path),
            title: p.title.clone(),
            body: p.body.clone(),
            description: p.description.clone(),
            status: p.status.as_str().to_owned(),
            language: p.language.to_string(),
            position: p.position,
            created_at: time_text(p.created_at),
            updated_at: Some(time_text(p.updated_at)),
            published_at: p.published_at.map(time_text),
        }
    }

    /// Checks the page as the newsroom's form does; its body is rendered here.
    pub fn check(&self) -> Result<PortablePage, Problems> {
        let mut p = Problems::default();
        let path = p.check(page_path("path", &self.path));
        let title = p
            .check(Headline::parse(&self.title).map_err(|e| InvalidValue::new("title", e.message)));
        let body_html = p.check(crate::pages::render_page_body(&self.body));
        if self.description.chars().count() > dateline_domain::Page::MAX_DESCRIPTION_CHARS {
            p.push(InvalidValue::new(
                "description",
                "is longer than 300 characters",
            ));
        }
        p.check(check_multiline("description", &self.description));
        let status = p.check(dateline_domain::PageStatus::parse(&self.status));
        let language = p.check(Language::parse(&self.language));
        let created_at = p.check(time("created_at", &self.created_at));
        let updated_at = p.check(optional_time("updated_at", &self.updated_at));
        let published_at = p.check(optional_time("published_at", &self.published_at));
        let page = match (
            path,
            title,
            body_html,
            status,
            language,
            created_at,
            updated_at,
            published_at,
        ) {
            (
                Some(path),
                Some(title),
                Some(body_html),
                Some(status),
                Some(language),
                Some(created_at),
                Some(updated_at),
                Some(published_at),
            ) => Some(PortablePage {
                path,
                title: title.into_string(),
                body: self.body.clone(),
                body_html,
                description: self.description.trim().to_owned(),
                status,
                language,
                position: self.position,
                created_at,
                updated_at: updated_at.unwrap_or(created_at),
                published_at,
            }),
            _ => None,
        };
        p.done(page)
    }
}

impl MenuLine {
    pub fn from_menu(m: &PortableMenu) -> Self {
        Self {
            name: m.name.as_str().to_owned(),
            items: m
                .items
                .iter()
                .map(|item| {
                    let mut line = MenuItemLine {
                        label: item.label.clone(),
                        page: None,
                        section: None,
                        url: None,
                        nested: item.nested,
                    };
                    match &item.target {
                        PortableMenuTarget::Page(path) => line.page = Some(page_path_text(path)),
                        PortableMenuTarget::Section(slug) => line.section = Some(slug.to_string()),
                        PortableMenuTarget::Url(url) => line.url = Some(url.clone()),
                    }
                    line
                })
                .collect(),
        }
    }

    /// Checks the menu as the newsroom's form does (labels, URLs, its bounds); whether its
    /// pages and sections exist is for the import to see.
    pub fn check(&self) -> Result<PortableMenu, Problems> {
        let mut p = Problems::default();
        let name = p.check(MenuName::parse(&self.name));
        let mut items = Vec::new();
        for (n, item) in self.items.iter().enumerate() {
            let at = |e: InvalidValue| {
                InvalidValue::new(
                    "items",
                    format!("item {}: {} {}", n + 1, e.field, e.message),
                )
            };
            let label = p.check(dateline_domain::page::menu_label(&item.label).map_err(at));
            let target = match (&item.page, &item.section, &item.url) {
                (Some(path), None, None) => p
                    .check(page_path("page", path).map_err(at))
                    .map(PortableMenuTarget::Page),
                (None, Some(slug), None) => p
                    .check(Slug::parse(slug).map_err(at))
                    .map(PortableMenuTarget::Section),
                (None, None, Some(url)) => p
                    .check(dateline_domain::page::menu_url(url).map_err(at))
                    .map(PortableMenuTarget::Url),
                _ => {
                    p.push(at(InvalidValue::new(
                        "target",
                        "give exactly one of page, section and url",
                    )));
                    None
                }
            };
            if let (Some(label), Some(target)) = (label, target) {
                items.push(PortableMenuItem {
                    label,
                    target,
                    nested: item.nested,
                });
            }
        }
        if self.items.len() > MenuLimits::MAX_ITEMS {
            p.push(InvalidValue::new(
                "items",
                format!("a menu holds at most {} items", MenuLimits::MAX_ITEMS),
            ));
        }
        if self.items.first().is_some_and(|i| i.nested) {
            p.push(InvalidValue::new(
                "items",
                "the first item cannot be nested",
            ));
        }
        let menu = name.map(|name| PortableMenu { name, items });
        p.done(menu)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_say_their_type_first_and_read_back() {
        let record = Record::Tag(LabelLine {
            slug: "karachi".into(),
            name: "Karachi".into(),
        });
        let line = record.to_line();
        assert_eq!(line, r#"{"type":"tag","slug":"karachi","name":"Karachi"}"#);
        assert_eq!(Record::parse(&line).unwrap(), record);
    }

    #[test]
    fn comment_lines_read_back_and_refuse_what_is_not_a_comment() {
        let line = r#"{"type":"comment","article":"budget","article_created":"2024-04-16T05:00:00.000Z","created_at":"2024-04-16T06:00:00.000Z","author":"Farah","email":"farah@example.test","url":"","body":"Hello.\n\nAgain.","status":"approved","kind":"comment","parent":{"created_at":"2024-04-16T05:30:00.000Z","author":"Omar"},"user":null}"#;
        let Record::Comment(c) = Record::parse(line).unwrap() else {
            panic!("a comment")
        };
        let comment = c.check().unwrap();
        assert_eq!(comment.status, CommentStatus::Approved);
        assert_eq!(comment.parent.as_ref().unwrap().1, "Omar");
        assert_eq!(
            Record::Comment(CommentLine::from_comment(&comment)).to_line(),
            line
        );
        for (from, to, field) in [
            (r#""status":"approved""#, r#""status":"spam""#, "status"),
            (r#""kind":"comment""#, r#""kind":"trackback""#, "kind"),
            (r#""author":"Farah""#, r#""author":" ""#, "author"),
            (r#""body":"Hello."#, r#""body":"He\u0000llo."#, "body"),
            (
                r#""created_at":"2024-04-16T06:00:00.000Z""#,
                r#""created_at":"yesterday""#,
                "created_at",
            ),
        ] {
            let bad = line.replacen(from, to, 1);
            assert_ne!(bad, line);
            let Record::Comment(c) = Record::parse(&bad).unwrap() else {
                panic!("a comment")
            };
            let problems = c.check().unwrap_err();
            assert!(
                problems.0.iter().any(|p| p.field == field),
                "{bad}: {problems}"
            );
        }
    }

    #[test]
    fn bad_lines_are_described_in_a_sentence() {
        for (line, want) in [
            ("{", "not valid JSON"),
            ("[1]", "not a JSON object"),
            (r#"{"slug":"a"}"#, "has no \"type\" field"),
            (r#"{"type":7}"#, "\"type\" must be a string"),
            (
                r#"{"type":"poll"}"#,
                "unknown type \"poll\" (expected one of: header",
            ),
            (r#"{"type":"tag","slug":"a"}"#, "tag: missing field `name`"),
            (
                r#"{"type":"tag","slug":"a","name":"A","colour":1}"#,
                "tag: unknown field `colour`",
            ),
            (
                r#"{"type":"section","slug":"a","name":"A","position":"first"}"#,
                "section: invalid type",
            ),
        ] {
            let err = Record::parse(line).unwrap_err();
            assert!(err.contains(want), "{line}: {err}");
            assert!(!err.contains("at line"), "{err}");
        }
    }

    fn article() -> ArticleLine {
        ArticleLine {
            slug: "budget".into(),
            headline: "Budget".into(),
            standfirst: String::new(),
            body: "Text.\n".into(),
            section: "pakistan".into(),
            tags: vec![],
            authors: vec![],
            source: None,
            status: "published".into(),
            language: "en".into(),
            firstcreated: "2024-04-16T05:00:00.000Z".into(),
            versioncreated: None,
            firstpublished: Some("2024-04-16T05:00:00Z".into()),
            embargoed: None,
            revision: 0,
            live_revision: None,
            created_by: None,
            featured_image: None,
            corrections: vec![],
            previous_slugs: vec![],
            seo_title: String::new(),
            seo_description: String::new(),
            pinned_at: None,
        }
    }

    #[test]
    fn an_article_is_checked_as_the_newsroom_checks_it() {
        let checked = article().check().unwrap();
        assert_eq!(checked.updated_at, checked.created_at);
        let bad = ArticleLine {
            headline: "two\nlines".into(),
            body: "nul\u{0}".into(),
            tags: vec!["a".into(), "a".into()],
            status: "live".into(),
            featured_image: Some("../etc".into()),
            ..article()
        };
        let problems = bad.check().unwrap_err().to_string();
        for want in [
            "headline: must be a single line",
            "body: contains an invisible control character (U+0000)",
            "tags: 'a' is named twice",
            "status: must be one of",
            "featured_image: must be 1 to 64 lower-case letters and digits",
        ] {
            assert!(problems.contains(want), "{problems} lacks {want}");
        }
        let unpublished = ArticleLine {
            firstpublished: None,
            ..article()
        };
        assert!(
            unpublished
                .check()
                .unwrap_err()
                .to_string()
                .contains("firstpublished: is required")
        );
    }

    #[test]
    fn image_keys_cannot_leave_the_media_directory() {
        for bad in ["", "..", "a/b", "ABC", &"a".repeat(65), "a b"] {
            assert!(image_key("key", bad).is_err(), "{bad:?}");
        }
        assert!(image_key("key", "0f3a9c").is_ok());
    }
}
