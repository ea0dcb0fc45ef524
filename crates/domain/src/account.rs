//! The people of the newsroom: accounts, their roles, what each role may do, and signed-in sessions.
//!
//! [`Role::may`] is the one place the role × action matrix lives; `docs/ROLES.md` writes it out
//! and the integration tests check every admin route against it.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::text::InvalidValue;

/// Database identity of a newsroom account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(pub i64);

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What an account may do, from least to most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Writes and edits own drafts and submits them for review.
    Contributor,
    /// Also publishes own articles.
    Author,
    /// Edits and publishes anyone's articles; manages sections and tags.
    Editor,
    /// Also manages accounts and site settings.
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Contributor, Role::Author, Role::Editor, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Contributor => "contributor",
            Role::Author => "author",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| {
                InvalidValue::new(
                    "role",
                    format!("'{s}' is not one of contributor, author, editor, admin"),
                )
            })
    }

    /// The role × action matrix.
    pub fn may(self, action: Action) -> bool {
        use Action::*;
        match action {
            UseNewsroom | WriteOwnDrafts | SubmitForReview | ChangeOwnPassword | AddTags
            | UseWireDesk => true,
            PublishOwn | AddBylines => self >= Role::Author,
            EditAnyArticle
            | PublishAny
            | ManageSectionsAndTags
            | ViewAuditLog
            | ManageWireProviders
            | ModerateComments => self >= Role::Editor,
            ManageUsers | ManageSiteSettings => self == Role::Admin,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something a person can ask the newsroom to do, checked against their [`Role`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Sign in and see the newsroom's pages.
    UseNewsroom,
    /// Create articles and edit one's own drafts.
    WriteOwnDrafts,
    /// Send one's own draft to the editors.
    SubmitForReview,
    /// Change one's own password.
    ChangeOwnPassword,
    /// Publish, schedule or unpublish articles one wrote.
    PublishOwn,
    /// Bring a new tag into being by naming it on an article (created with the save).
    AddTags,
    /// Name someone new in a byline (created with the save). Without it, a byline names people
    /// already listed, or the writer's own account name.
    AddBylines,
    /// Edit articles whoever wrote them.
    EditAnyArticle,
    /// Publish, schedule, unpublish and correct anyone's articles.
    PublishAny,
    /// Create, rename, merge and delete sections and tags; name a new section on an article.
    ManageSectionsAndTags,
    /// Read the audit log.
    ViewAuditLog,
    /// Read the wire desk and start drafts from agency items.
    UseWireDesk,
    /// Add and change wire providers, pause and resume their polling, upload payloads.
    ManageWireProviders,
    /// Approve, unapprove and delete comments.
    ModerateComments,
    /// Create accounts, change roles, reset passwords.
    ManageUsers,
    /// Change the publication's settings.
    ManageSiteSettings,
}

impl Action {
    pub const ALL: [Action; 16] = [
        Action::UseNewsroom,
        Action::WriteOwnDrafts,
        Action::SubmitForReview,
        Action::ChangeOwnPassword,
        Action::PublishOwn,
        Action::AddTags,
        Action::AddBylines,
        Action::EditAnyArticle,
        Action::PublishAny,
        Action::ManageSectionsAndTags,
        Action::ViewAuditLog,
        Action::UseWireDesk,
        Action::ManageWireProviders,
        Action::ModerateComments,
        Action::ManageUsers,
        Action::ManageSiteSettings,
    ];
}

/// An e-mail address, the name an account signs in with; stored lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let s = s.trim().to_lowercase();
        let bad = |m: &str| Err(InvalidValue::new("email", m));
        if s.is_empty() {
            return bad("must not be empty");
        }
        if s.len() > 254 {
            return bad("is longer than 254 characters");
        }
        let Some((local, domain)) = s.split_once('@') else {
            return bad("must look like name@example.com");
        };
        if local.is_empty()
            || domain.is_empty()
            || domain.contains('@')
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || s.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return bad("must look like name@example.com");
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A newsroom account as stored (without its password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub email: Email,
    pub name: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
}

impl User {
    pub fn may(&self, action: Action) -> bool {
        self.role.may(action)
    }
}

/// An account ready to be written; the password is already hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub email: Email,
    pub name: String,
    pub role: Role,
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
}

/// A signed-in browser. The token itself lives only in the cookie; the store keeps its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub token_hash: String,
    pub user: UserId,
    /// The token every state-changing form of this session must carry.
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_grow_in_power() {
        assert!(!Role::Contributor.may(Action::PublishOwn));
        assert!(Role::Author.may(Action::PublishOwn));
        assert!(!Role::Author.may(Action::PublishAny));
        assert!(Role::Editor.may(Action::PublishAny));
        assert!(!Role::Editor.may(Action::ManageUsers));
        assert!(Role::Admin.may(Action::ManageUsers));
        assert!(Role::Contributor.may(Action::AddTags));
        assert!(!Role::Contributor.may(Action::AddBylines));
        assert!(Role::Author.may(Action::AddBylines));
        assert!(!Role::Author.may(Action::ManageSectionsAndTags));
        for action in Action::ALL {
            for pair in Role::ALL.windows(2) {
                assert!(
                    !pair[0].may(action) || pair[1].may(action),
                    "{:?} may {action:?} but {:?} may not",
                    pair[0],
                    pair[1]
                );
            }
        }
    }

    #[test]
    fn roles_parse_by_name() {
        assert_eq!(Role::parse(" Editor").unwrap(), Role::Editor);
        assert!(Role::parse("owner").is_err());
    }

    #[test]
    fn emails_are_lower_cased_and_checked() {
        assert_eq!(
            Email::parse(" Sana@GVS.pk ").unwrap().as_str(),
            "sana@gvs.pk"
        );
        for bad in [
            "",
            "sana",
            "@gvs.pk",
            "sana@",
            "sana@gvs",
            "a b@gvs.pk",
            "a@b@c.pk",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
