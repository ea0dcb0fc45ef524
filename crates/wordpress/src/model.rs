//! The records a WXR file holds: the site, its authors, its terms and its items (posts, pages,
//! attachments, menu items), with the helpers an importer needs to read WordPress's meta.

use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};

use crate::php::{self, AttachmentMetadata, PhpError};
use crate::text::decode_slug;

/// One record of the export, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// The channel's description of the site; once, before any other record.
    Site(Site),
    Author(Author),
    /// A category, tag, menu or other term; each (taxonomy, slug) once.
    Term(Term),
    Item(Box<Item>),
}

/// The site the export came from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Site {
    /// The site's name, entities decoded.
    pub title: String,
    /// The site's home URL as the channel gives it (no trailing slash).
    pub link: String,
    /// The tagline, entities decoded.
    pub description: String,
    /// `en-US`, `ur`…
    pub language: String,
    /// `1.2` for every WordPress since 3.1.
    pub wxr_version: String,
    /// `wp:base_site_url`: where WordPress is installed.
    pub base_site_url: String,
    /// `wp:base_blog_url`: the site's home; permalinks are under it.
    pub base_blog_url: String,
}

/// A user who wrote at least one exported item (the exporter lists no one else).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Author {
    pub id: u64,
    /// The login, which items name in `dc:creator`.
    pub login: String,
    pub email: String,
    /// The name shown on bylines, entities decoded.
    pub display_name: String,
    pub first_name: String,
    pub last_name: String,
}

/// A taxonomy: what kind of term.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Taxonomy {
    Category,
    /// `post_tag`.
    Tag,
    /// A classic menu (`nav_menu`); its items are [`PostType::NavMenuItem`] items.
    NavMenu,
    /// `post_format`: `post-format-video` and the like.
    PostFormat,
    /// A custom taxonomy, by name.
    Other(String),
}

impl Taxonomy {
    /// The taxonomy WordPress names so (`post_tag`, and `tag` as `<wp:tag>` implies).
    pub fn parse(name: &str) -> Self {
        match name {
            "category" => Taxonomy::Category,
            "post_tag" | "tag" => Taxonomy::Tag,
            "nav_menu" => Taxonomy::NavMenu,
            "post_format" => Taxonomy::PostFormat,
            other => Taxonomy::Other(other.to_owned()),
        }
    }

    /// The name WordPress uses.
    pub fn as_str(&self) -> &str {
        match self {
            Taxonomy::Category => "category",
            Taxonomy::Tag => "post_tag",
            Taxonomy::NavMenu => "nav_menu",
            Taxonomy::PostFormat => "post_format",
            Taxonomy::Other(name) => name,
        }
    }
}

/// A term from the export's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub taxonomy: Taxonomy,
    pub term_id: u64,
    /// The slug as a person reads it (percent-decoded).
    pub slug: String,
    /// The slug as stored, percent-encoded when not ASCII: what old URLs hold.
    pub raw_slug: String,
    /// The name, HTML entities decoded (WordPress stores `Arts &amp; Culture`).
    pub name: String,
    /// The parent's slug (decoded), for hierarchical taxonomies; WordPress gives parents by slug.
    pub parent: Option<String>,
    /// The description, as stored (it may hold HTML).
    pub description: String,
    /// Term meta, in file order.
    pub meta: Vec<(String, String)>,
}

/// A term as an item names it (`<category domain="post_tag" nicename="…">Name</category>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemTerm {
    pub taxonomy: Taxonomy,
    /// The nicename, percent-decoded.
    pub slug: String,
    /// The nicename as stored.
    pub raw_slug: String,
    /// The name, HTML entities decoded.
    pub name: String,
}

/// What kind of item.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PostType {
    Post,
    Page,
    /// A media file's record; the file itself is not in the export.
    Attachment,
    /// An entry of a classic menu.
    NavMenuItem,
    /// A custom post type (or `revision`, `wp_block`…), by name.
    Other(String),
}

impl PostType {
    /// The post type WordPress names so.
    pub fn parse(name: &str) -> Self {
        match name {
            "post" => PostType::Post,
            "page" => PostType::Page,
            "attachment" => PostType::Attachment,
            "nav_menu_item" => PostType::NavMenuItem,
            other => PostType::Other(other.to_owned()),
        }
    }

    /// The name WordPress uses.
    pub fn as_str(&self) -> &str {
        match self {
            PostType::Post => "post",
            PostType::Page => "page",
            PostType::Attachment => "attachment",
            PostType::NavMenuItem => "nav_menu_item",
            PostType::Other(name) => name,
        }
    }
}

/// An item's status.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PostStatus {
    Publish,
    Draft,
    /// Waiting for review (a contributor's post).
    Pending,
    Private,
    /// Scheduled.
    Future,
    Trash,
    /// An attachment's: it follows its parent.
    Inherit,
    Other(String),
}

impl PostStatus {
    /// The status WordPress names so.
    pub fn parse(name: &str) -> Self {
        match name {
            "publish" => PostStatus::Publish,
            "draft" => PostStatus::Draft,
            "pending" => PostStatus::Pending,
            "private" => PostStatus::Private,
            "future" => PostStatus::Future,
            "trash" => PostStatus::Trash,
            "inherit" => PostStatus::Inherit,
            other => PostStatus::Other(other.to_owned()),
        }
    }

    /// The name WordPress uses.
    pub fn as_str(&self) -> &str {
        match self {
            PostStatus::Publish => "publish",
            PostStatus::Draft => "draft",
            PostStatus::Pending => "pending",
            PostStatus::Private => "private",
            PostStatus::Future => "future",
            PostStatus::Trash => "trash",
            PostStatus::Inherit => "inherit",
            PostStatus::Other(name) => name,
        }
    }
}

/// What a UTC time was computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimeBasis {
    /// Nothing: no date, or only a local one and no known offset.
    #[default]
    None,
    /// The GMT date (`wp:post_date_gmt`).
    Gmt,
    /// The local date in the site's time zone given to the reader ([`crate::ReadOptions`]), at
    /// this offset.
    SiteTimeZone(FixedOffset),
    /// The local date at the offset between the local and GMT dates of the last item that had
    /// both (drafts have no GMT date; the site's own items tell its offset).
    LearnedOffset(FixedOffset),
}

/// Whether a comment is shown.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum CommentApproval {
    /// `1`.
    Approved,
    /// `0`: waiting for moderation.
    #[default]
    Pending,
    Trash,
    /// Spam (the exporter leaves spam out, other tools may not).
    Spam,
    Other(String),
}

impl CommentApproval {
    /// `wp:comment_approved`: `1`, `0`, `trash`, `spam`.
    pub fn parse(value: &str) -> Self {
        match value {
            "1" | "approve" | "approved" => CommentApproval::Approved,
            "0" | "hold" => CommentApproval::Pending,
            "trash" => CommentApproval::Trash,
            "spam" => CommentApproval::Spam,
            other => CommentApproval::Other(other.to_owned()),
        }
    }
}

/// What kind of comment.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum CommentKind {
    /// A reader's comment (`comment`, or empty in older exports).
    #[default]
    Comment,
    Pingback,
    Trackback,
    Other(String),
}

impl CommentKind {
    /// `wp:comment_type`.
    pub fn parse(value: &str) -> Self {
        match value {
            "" | "comment" => CommentKind::Comment,
            "pingback" => CommentKind::Pingback,
            "trackback" => CommentKind::Trackback,
            other => CommentKind::Other(other.to_owned()),
        }
    }
}

/// A comment on an item.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Comment {
    pub id: u64,
    /// The comment this one answers.
    pub parent_id: Option<u64>,
    pub author: String,
    pub author_email: String,
    pub author_url: String,
    pub author_ip: String,
    /// The local date as written.
    pub date: Option<NaiveDateTime>,
    /// The GMT date (none when WordPress wrote `0000-00-00 00:00:00`).
    pub date_gmt: Option<DateTime<Utc>>,
    /// The text as stored (it may hold HTML).
    pub content: String,
    pub approved: CommentApproval,
    pub kind: CommentKind,
    /// The registered user who wrote it.
    pub user_id: Option<u64>,
    pub meta: Vec<(String, String)>,
}

/// A post, page, attachment, menu item or other post type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub post_id: u64,
    pub post_type: PostType,
    /// The title as stored: titles are not HTML-escaped (unlike term names).
    pub title: String,
    /// The slug as a person reads it; empty for drafts and pending posts. A trashed item's
    /// slug ends in `__trashed` (see [`Item::desired_slug`]).
    pub slug: String,
    /// The slug as stored (percent-encoded when not ASCII).
    pub raw_slug: String,
    /// The permalink when the export was made (`?p=ID` for drafts and scheduled posts).
    pub link: String,
    /// Whatever URL the item had when first saved: not a permalink, do not route by it.
    pub guid: String,
    pub guid_is_permalink: bool,
    pub status: PostStatus,
    /// `wp:post_date`, the site's local time.
    pub post_date: Option<NaiveDateTime>,
    /// `wp:post_date_gmt`; none for drafts (`0000-00-00 00:00:00`).
    pub post_date_gmt: Option<NaiveDateTime>,
    /// When it was (or is to be) published, in UTC.
    pub published_at: Option<DateTime<Utc>>,
    /// What [`Item::published_at`] was computed from.
    pub published_from: TimeBasis,
    pub post_modified: Option<NaiveDateTime>,
    pub post_modified_gmt: Option<NaiveDateTime>,
    pub modified_at: Option<DateTime<Utc>>,
    pub modified_from: TimeBasis,
    /// The author's login (`dc:creator`).
    pub author: String,
    /// The hand-written excerpt (the standfirst), as stored.
    pub excerpt: String,
    /// The body as stored: HTML with block comments, or classic-editor text.
    pub content: String,
    /// Empty unless the item is password-protected.
    pub password: String,
    pub sticky: bool,
    /// The parent item: a page's parent page, an attachment's post. For menu items, see
    /// [`MenuItem::parent_item`] instead.
    pub parent_id: Option<u64>,
    pub menu_order: i64,
    /// `open` or `closed`.
    pub comment_status: String,
    pub ping_status: String,
    /// An attachment's file on the old site (the file is not in the export).
    pub attachment_url: Option<String>,
    /// Categories, tags, the post format and the menu, in file order.
    pub terms: Vec<ItemTerm>,
    /// All post meta, in file order.
    pub meta: Vec<(String, String)>,
    pub comments: Vec<Comment>,
}

/// A classic menu entry, from a [`PostType::NavMenuItem`] item's meta.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuItem {
    /// The menu's slug.
    pub menu: Option<String>,
    /// `custom`, `taxonomy` or `post_type`.
    pub kind: String,
    /// What it points at: `custom`, `category`, `page`…
    pub object: String,
    /// The term or post it points at (for `custom`, the item itself).
    pub object_id: Option<u64>,
    /// The URL of a custom link.
    pub url: Option<String>,
    /// The menu item this one is under. (`wp:post_parent` of a category entry is the parent
    /// *term*, not this.)
    pub parent_item: Option<u64>,
    /// The label; empty when it is the title of what it points at.
    pub title: String,
    pub order: i64,
}

impl Item {
    /// The first value of a meta key.
    pub fn meta_value(&self, key: &str) -> Option<&str> {
        self.meta
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a meta key, in file order.
    pub fn meta_values<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.meta
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The slugs the item had before it was renamed (`_wp_old_slug`), decoded, in file order:
    /// WordPress redirects `/{old}/` to the item.
    pub fn old_slugs(&self) -> Vec<String> {
        self.meta_values("_wp_old_slug")
            .filter(|s| !s.is_empty())
            .map(decode_slug)
            .collect()
    }

    /// The slug a trashed item had (`_wp_desired_post_slug`, or the slug without its
    /// `__trashed` suffix); `None` for items not in the trash.
    pub fn desired_slug(&self) -> Option<String> {
        if let Some(desired) = self.meta_value("_wp_desired_post_slug") {
            return Some(decode_slug(desired));
        }
        self.slug.strip_suffix("__trashed").map(str::to_owned)
    }

    /// The featured image's attachment id (`_thumbnail_id`).
    pub fn thumbnail_id(&self) -> Option<u64> {
        self.meta_value("_thumbnail_id")
            .and_then(|v| v.trim().parse().ok())
            .filter(|id| *id > 0)
    }

    /// Whether a password is needed to read the item.
    pub fn is_password_protected(&self) -> bool {
        !self.password.is_empty()
    }

    /// The Yoast SEO title (`_yoast_wpseo_title`), as stored: Yoast's variables such as
    /// `%%sitename%%` are left in; [`Item::resolve_yoast`] replaces the trivial ones.
    pub fn seo_title(&self) -> Option<&str> {
        self.meta_value("_yoast_wpseo_title")
            .filter(|v| !v.trim().is_empty())
    }

    /// The Yoast meta description (`_yoast_wpseo_metadesc`), as stored (see
    /// [`Item::seo_title`]).
    pub fn seo_description(&self) -> Option<&str> {
        self.meta_value("_yoast_wpseo_metadesc")
            .filter(|v| !v.trim().is_empty())
    }

    /// Replaces the Yoast variables whose value the export holds: `%%title%%`, `%%sitename%%`,
    /// `%%sitedesc%%`, `%%excerpt%%` (the hand-written one), `%%sep%%` (Yoast's default
    /// separator, `-`: the one chosen in Yoast's settings is not exported) and `%%page%%`
    /// (nothing, as on a first page). Every other variable is left as it is; runs of spaces the
    /// replacements leave are made one.
    pub fn resolve_yoast(&self, template: &str, site: &Site) -> String {
        let mut out = String::with_capacity(template.len());
        let mut rest = template;
        while let Some(at) = rest.find("%%") {
            out.push_str(&rest[..at]);
            let after = &rest[at + 2..];
            let Some(end) = after.find("%%") else {
                out.push_str(&rest[at..]);
                rest = "";
                break;
            };
            let name = &after[..end];
            let value = match name {
                "title" => Some(self.title.as_str()),
                "sitename" => Some(site.title.as_str()),
                "sitedesc" => Some(site.description.as_str()),
                "excerpt" | "excerpt_only" => Some(self.excerpt.as_str()),
                "sep" => Some("-"),
                "page" => Some(""),
                _ => None,
            };
            match value {
                Some(v) => {
                    out.push_str(v);
                    rest = &after[end + 2..];
                }
                None => {
                    // Not one we know: keep the `%%name` and look again from its closing `%%`.
                    out.push_str(&rest[at..at + 2 + end]);
                    rest = &after[end..];
                }
            }
        }
        out.push_str(rest);
        crate::text::collapse_whitespace(&out)
    }

    /// An attachment's file path under the uploads folder (`_wp_attached_file`).
    pub fn attached_file(&self) -> Option<&str> {
        self.meta_value("_wp_attached_file")
            .filter(|v| !v.is_empty())
    }

    /// An image's alternative text (`_wp_attachment_image_alt`).
    pub fn alt_text(&self) -> Option<&str> {
        self.meta_value("_wp_attachment_image_alt")
            .filter(|v| !v.trim().is_empty())
    }

    /// An attachment's dimensions, file and size variants (`_wp_attachment_metadata`, a PHP
    /// serialised array). `Ok(None)` when the item has none.
    pub fn attachment_metadata(&self) -> Result<Option<AttachmentMetadata>, PhpError> {
        match self.meta_value("_wp_attachment_metadata") {
            None => Ok(None),
            Some(value) => php::attachment_metadata(value).map(Some),
        }
    }

    /// Terms of one taxonomy.
    pub fn terms_of<'a>(&'a self, taxonomy: &'a Taxonomy) -> impl Iterator<Item = &'a ItemTerm> {
        self.terms.iter().filter(move |t| &t.taxonomy == taxonomy)
    }

    /// The item's categories.
    pub fn categories(&self) -> impl Iterator<Item = &ItemTerm> {
        self.terms_of(&Taxonomy::Category)
    }

    /// The item's tags.
    pub fn tags(&self) -> impl Iterator<Item = &ItemTerm> {
        self.terms_of(&Taxonomy::Tag)
    }

    /// The post format (`video`, `gallery`…), from the `post-format-…` term.
    pub fn post_format(&self) -> Option<&str> {
        self.terms_of(&Taxonomy::PostFormat)
            .next()
            .map(|t| t.slug.strip_prefix("post-format-").unwrap_or(&t.slug))
    }

    /// A menu item's fields; `None` for other post types.
    pub fn menu_item(&self) -> Option<MenuItem> {
        if self.post_type != PostType::NavMenuItem {
            return None;
        }
        let id = |key: &str| {
            self.meta_value(key)
                .and_then(|v| v.trim().parse::<u64>().ok())
                .filter(|id| *id > 0)
        };
        Some(MenuItem {
            menu: self
                .terms_of(&Taxonomy::NavMenu)
                .next()
                .map(|t| t.slug.clone()),
            kind: self
                .meta_value("_menu_item_type")
                .unwrap_or_default()
                .to_owned(),
            object: self
                .meta_value("_menu_item_object")
                .unwrap_or_default()
                .to_owned(),
            object_id: id("_menu_item_object_id"),
            url: self
                .meta_value("_menu_item_url")
                .filter(|u| !u.is_empty())
                .map(str::to_owned),
            parent_item: id("_menu_item_menu_item_parent"),
            title: self.title.clone(),
            order: self.menu_order,
        })
    }
}
