//! Reading WordPress exports: a WXR file (the "WordPress eXtended RSS" that Tools → Export
//! writes) becomes a stream of typed records, and a post's body becomes typed blocks, for the
//! importer that moves a WordPress site into Dateline.
//!
//! The crate is pure: no database, no HTTP, no clock, no files of its own.
//!
//! # Reading
//!
//! [`read`] takes any [`std::io::BufRead`] and returns a [`Reader`], an iterator of
//! [`Record`]s in file order:
//!
//! - [`Record::Site`] once, first: the channel's title, link, description, language, WXR
//!   version and base URLs;
//! - [`Record::Author`] for each author the exporter listed (only users who wrote an exported
//!   item);
//! - [`Record::Term`] for each category, tag, menu, post format or custom term, once per
//!   (taxonomy, slug);
//! - [`Record::Item`] for each post, page, attachment, menu item or custom post, with its meta
//!   and comments, and helpers for the meta WordPress and Yoast keep (old slugs, featured
//!   image, SEO title and description, attachment file and metadata, menu fields).
//!
//! The file is never loaded whole: memory depends on the largest record, not on the file
//! ([`Reader::peak_buffered_bytes`] tells). Every input is bounded ([`Limits`]): a text field
//! at 8 MiB ([`MAX_FIELD_BYTES`]), meta entries, comments and terms per item, a record's total
//! size, and element nesting. XML is read without DOCTYPEs: a file with one is refused, so
//! entity declarations (billion laughs, external entities) are never expanded and nothing is
//! ever fetched; an entity other than XML's five is an error.
//!
//! Errors are one closed enum, [`WxrError`], whose messages are one line a person understands
//! and say where the file went wrong ([`Position`]). A file that is not WXR, malformed,
//! truncated or too deep ends the reading; an item past a bound or with a field that is not
//! a number is reported, left out, and the reading goes on ([`WxrError::is_fatal`]).
//!
//! # What the exporter does, and what the reader makes of it
//!
//! 1. Terms are written two or three times (`wp:category`, `wp:tag` and again `wp:term`): the
//!    reader gives each (taxonomy, slug) once.
//! 2. Term names are stored HTML-escaped (`Arts &amp; Culture`), titles are not: term, author
//!    and site names are decoded, titles and bodies are given as stored. Category parents are
//!    slugs.
//! 3. Non-ASCII slugs are percent-encoded: [`Term::slug`], [`Item::slug`] and
//!    [`ItemTerm::slug`] are decoded, the `raw_slug`s keep what old URLs hold.
//! 4. Drafts and pending posts have no slug, no GMT date (`0000-00-00 00:00:00`) and a `?p=ID`
//!    link: their slug is empty and their GMT date `None`.
//! 5. Trashed posts' slugs end in `__trashed`; [`Item::desired_slug`] gives the one they had.
//! 6. Content is in CDATA, split where it held `]]>`: the pieces are joined back.
//! 7. `<guid>` is not a permalink: [`Item::guid`] is given for what it is, use
//!    [`Item::link`] and the slug.
//! 8. Some meta values are PHP `serialize()` strings: [`php::unserialize`] reads them
//!    (bounded; objects refused), [`Item::attachment_metadata`] gives the attachment's.
//! 9. Comments: trashed ones are exported, spam is not, pingbacks are comments of another
//!    [`CommentKind`]; URLs outside CDATA are read the same.
//! 10. Dates: `wp:post_date` is local, `wp:post_date_gmt` is UTC. [`Item::published_at`] comes
//!     from the GMT date, else from the local one in the site's time zone when the caller
//!     gives it ([`ReadOptions::time_zone`]), else at the offset learned from earlier items;
//!     [`Item::published_from`] says which.
//! 11. Menu items: empty titles for items that point at a term or page, the hierarchy in
//!     `_menu_item_menu_item_parent`, and `wp:post_parent` holding a term id for category
//!     entries: [`Item::menu_item`] reads the meta, not the parent.
//! 12. Revisions are not exported, and only authors of exported items are listed.
//! 13. Media files are not in the file: [`Item::attachment_url`] and
//!     [`Item::attached_file`] say where they were.
//! 14. Leftover meta (`_encloseme` on a trashed post) is kept as any other meta.
//!
//! # Converting bodies
//!
//! [`convert`] turns a post's content into [`Block`]s: [`Block::Markdown`] for prose
//! (CommonMark), and blocks of their own for images, galleries, embeds, "Read More" links,
//! separators and page breaks. Block-editor content and classic-editor content (with
//! WordPress's auto-paragraph rules) are both read, with the shortcodes WordPress expands;
//! what cannot be converted keeps its text and is named in [`Converted::problems`].
//! [`Converted::internal_links`] lists the links to the old site, for the caller to rewrite.

mod convert;
mod error;
mod model;
pub mod php;
mod reader;
mod source;
mod text;

pub use convert::{
    Block, ConvertContext, Converted, EmbedProvider, Image, convert, markdown_destination,
};
pub use error::{Position, WxrError};
pub use model::{
    Author, Comment, CommentApproval, CommentKind, Item, ItemTerm, MenuItem, PostStatus, PostType,
    Record, Site, Taxonomy, Term, TimeBasis,
};
pub use php::{AttachmentMetadata, ImageSize};
pub use reader::{Limits, MAX_FIELD_BYTES, ReadOptions, Reader, read, read_with};
pub use text::{decode_entities, decode_slug};
