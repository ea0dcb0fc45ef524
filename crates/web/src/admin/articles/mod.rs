//! The article desk, split by what the newsroom does with an article: find it in the list
//! (`list`), write it (`editor`), look back over its revisions and bring one back
//! (`revisions`), move it through the workflow (`workflow`), pick Read More links for it
//! (`read_more`), and read what was done to it (`audit`).
//!
//! What they share lives here: how times are written, and the problems of a draft that does not
//! pass its checks. Which buttons an article's pages offer comes from the domain's
//! `allowed_steps`, the function the services refuse by.

mod audit;
mod editor;
mod list;
mod read_more;
mod revisions;
mod workflow;

use chrono::{DateTime, Utc};
use dateline_domain::SiteSettings;
use dateline_services::{ServiceError, dates};

use super::AdminError;

pub use audit::show_audit;
pub(in crate::admin) use editor::done;
pub use editor::{
    autosave_article, create_article, edit_article, new_article, preview_article, save_article,
};
pub use list::list_articles;
pub use read_more::find_read_more;
pub use revisions::{restore_revision, show_diff, show_history};
pub use workflow::{correct_article, move_article, pin_article, schedule_article, set_search_text};

/// A moment as the newsroom reads it: in the publication's zone and language.
fn when(at: DateTime<Utc>, site: &SiteSettings) -> String {
    dates::date_time(at, site.time_zone, &site.locale)
}

/// The problems of a draft the checks refused, each in words, to show with the draft; any
/// other failure as the newsroom's error.
fn draft_problems(e: ServiceError) -> Result<Vec<String>, AdminError> {
    match e {
        ServiceError::Invalid(problems) => Ok(problems.iter().map(ToString::to_string).collect()),
        e => Err(e.into()),
    }
}
