//! Who may do what to an article: the steps of the workflow, and which of them an account may
//! take on an article as it stands.
//!
//! [`allowed_steps`] is the one answer. The newsroom's services refuse by it (with
//! [`refusal`], which says why) and the editor offers its buttons by it, so the two cannot
//! disagree. The role × action matrix it builds on is [`Role::may`]; `docs/ROLES.md` writes
//! both out.

use std::fmt;

use crate::account::{Action, Role, User};
use crate::article::ArticleStatus;
use crate::newsroom::Workflow;

/// Something an account can do to one article.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    /// Open it: the working copy, its history and its revisions.
    View,
    /// Change its working copy (save, autosave, restore a revision) or its featured image.
    Edit,
    /// Send a draft to the editors.
    Submit,
    /// Put a revision live now: a first publication, an update, or a taken-down article again.
    Publish,
    /// Set the time a not-yet-live article goes live (the embargo).
    Schedule,
    /// Take a live article down.
    Unpublish,
    /// Add a dated correction or update note to a live article.
    Correct,
}

impl Step {
    pub const ALL: [Step; 7] = [
        Step::View,
        Step::Edit,
        Step::Submit,
        Step::Publish,
        Step::Schedule,
        Step::Unpublish,
        Step::Correct,
    ];

    /// The states an article may be in for this step to apply to it. The store moves an article
    /// only from these, in the same statement that checks them.
    pub fn from_states(self) -> &'static [ArticleStatus] {
        match self {
            Step::View | Step::Edit | Step::Publish => &ArticleStatus::ALL,
            Step::Submit => &[ArticleStatus::Draft],
            Step::Schedule => &[
                ArticleStatus::Draft,
                ArticleStatus::InReview,
                ArticleStatus::Scheduled,
            ],
            Step::Unpublish | Step::Correct => &[ArticleStatus::Published],
        }
    }

    /// Whether an account with `role` may take this step on some article (its own or another's,
    /// in some state): a step no article would allow can be refused before any is read.
    pub fn open_to(self, role: Role) -> bool {
        ArticleStatus::ALL.iter().any(|&status| {
            [true, false]
                .into_iter()
                .any(|own| steps_for(role, own, status).contains(self))
        })
    }

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// A set of [`Step`]s.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Steps(u8);

impl Steps {
    /// No step at all.
    pub const NONE: Steps = Steps(0);

    pub fn contains(self, step: Step) -> bool {
        self.0 & step.bit() != 0
    }

    /// These steps and `step`.
    #[must_use]
    pub fn with(self, step: Step) -> Self {
        Steps(self.0 | step.bit())
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The steps in the set, in the order of [`Step::ALL`].
    pub fn iter(self) -> impl Iterator<Item = Step> {
        Step::ALL.into_iter().filter(move |s| self.contains(*s))
    }
}

impl FromIterator<Step> for Steps {
    fn from_iter<I: IntoIterator<Item = Step>>(steps: I) -> Self {
        steps.into_iter().fold(Steps::NONE, Steps::with)
    }
}

impl fmt::Debug for Steps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// Which steps `user` may take on the article whose bookkeeping is `workflow`, as it stands now:
/// what their role allows on their own articles or on anyone's, in the article's state.
pub fn allowed_steps(user: &User, workflow: &Workflow) -> Steps {
    let own = workflow.created_by == Some(user.id);
    steps_for(user.role, own, workflow.status)
}

/// Why a step is not allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The account may not even open the article: answer as if there were none, so that
    /// nobody learns from the answer which articles exist.
    Unseen,
    /// The account may open the article, but its role (or whose article it is) does not
    /// allow the step.
    NotAllowed,
    /// The step would be allowed, but not in the article's state.
    WrongState,
}

/// Why `user` may not take `step` on the article, or `None` when they may. Judged in this
/// order: whether they may see the article at all, whether their role and ownership allow the
/// step, whether the article's state does.
pub fn refusal(user: &User, workflow: &Workflow, step: Step) -> Option<Refusal> {
    let own = workflow.created_by == Some(user.id);
    let allowed = steps_for(user.role, own, workflow.status);
    if allowed.contains(step) {
        None
    } else if !allowed.contains(Step::View) {
        Some(Refusal::Unseen)
    } else if !permitted(user.role, own, workflow.status, step) {
        Some(Refusal::NotAllowed)
    } else {
        Some(Refusal::WrongState)
    }
}

/// The steps an account with `role` may take on an article in `status`, its own or another's.
fn steps_for(role: Role, own: bool, status: ArticleStatus) -> Steps {
    Step::ALL
        .into_iter()
        .filter(|&step| permitted(role, own, status, step) && step.from_states().contains(&status))
        .collect()
}

/// What a role and ownership allow, apart from whether the step applies in the article's state.
/// A contributor's right to change its own article does depend on the state: only while it is
/// a draft or in review (once approved, it is the editors').
fn permitted(role: Role, own: bool, status: ArticleStatus, step: Step) -> bool {
    let edit = role.may(Action::EditAnyArticle)
        || (own
            && (role >= Role::Author
                || matches!(status, ArticleStatus::Draft | ArticleStatus::InReview)));
    let publish = role.may(Action::PublishAny) || (own && role.may(Action::PublishOwn));
    match step {
        Step::View => role.may(Action::EditAnyArticle) || own,
        Step::Edit => edit,
        Step::Submit => edit && role.may(Action::SubmitForReview),
        Step::Publish | Step::Schedule | Step::Unpublish => publish,
        Step::Correct => role.may(Action::PublishAny),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::{Email, UserId};

    fn user(role: Role) -> User {
        User {
            id: UserId(7),
            email: Email::parse("sana@gvs.pk").unwrap(),
            name: "Sana".into(),
            role,
            created_at: chrono::DateTime::UNIX_EPOCH,
        }
    }

    fn workflow(status: ArticleStatus, own: bool) -> Workflow {
        Workflow {
            status,
            revision: crate::RevisionNumber(1),
            live_revision: None,
            created_by: Some(UserId(if own { 7 } else { 8 })),
            scheduled_at: None,
        }
    }

    /// The whole table, written out: role, own article or another's, state, and the steps.
    #[test]
    fn the_steps_of_every_role_state_and_owner() {
        use ArticleStatus::*;
        use Step::*;
        let all_states = ArticleStatus::ALL;
        for role in Role::ALL {
            for own in [true, false] {
                for status in all_states {
                    let got = allowed_steps(&user(role), &workflow(status, own));
                    let mut want = Steps::NONE;
                    let editor = role >= Role::Editor;
                    if own || editor {
                        want = want.with(View);
                    }
                    if editor
                        || (own && (role >= Role::Author || matches!(status, Draft | InReview)))
                    {
                        want = want.with(Edit);
                        if status == Draft {
                            want = want.with(Submit);
                        }
                    }
                    if editor || (own && role == Role::Author) {
                        want = want.with(Publish);
                        if matches!(status, Draft | InReview | Scheduled) {
                            want = want.with(Schedule);
                        }
                        if status == Published {
                            want = want.with(Unpublish);
                        }
                    }
                    if editor && status == Published {
                        want = want.with(Correct);
                    }
                    assert_eq!(got, want, "{role:?}, own: {own}, {status:?}");
                }
            }
        }
    }

    #[test]
    fn refusals_say_why_in_order() {
        use ArticleStatus::*;
        let contributor = user(Role::Contributor);
        // Another's article: unseen, whatever the step.
        for step in Step::ALL {
            assert_eq!(
                refusal(&contributor, &workflow(Draft, false), step),
                Some(Refusal::Unseen)
            );
        }
        // Their own: publishing is not their role's; submitting a submitted draft is the
        // wrong state; changing an approved one is no longer theirs.
        let own_draft = workflow(Draft, true);
        assert_eq!(refusal(&contributor, &own_draft, Step::Edit), None);
        assert_eq!(
            refusal(&contributor, &own_draft, Step::Publish),
            Some(Refusal::NotAllowed)
        );
        assert_eq!(
            refusal(&contributor, &workflow(InReview, true), Step::Submit),
            Some(Refusal::WrongState)
        );
        assert_eq!(
            refusal(&contributor, &workflow(Scheduled, true), Step::Edit),
            Some(Refusal::NotAllowed)
        );
        let editor = user(Role::Editor);
        assert_eq!(
            refusal(&editor, &workflow(Draft, false), Step::Unpublish),
            Some(Refusal::WrongState)
        );
        assert_eq!(
            refusal(&editor, &workflow(Published, false), Step::Correct),
            None
        );
    }

    #[test]
    fn a_refusal_exactly_when_a_step_is_not_allowed() {
        for role in Role::ALL {
            for own in [true, false] {
                for status in ArticleStatus::ALL {
                    let (u, wf) = (user(role), workflow(status, own));
                    let allowed = allowed_steps(&u, &wf);
                    for step in Step::ALL {
                        assert_eq!(allowed.contains(step), refusal(&u, &wf, step).is_none());
                    }
                }
            }
        }
    }

    #[test]
    fn steps_open_to_a_role() {
        assert!(!Step::Correct.open_to(Role::Author));
        assert!(Step::Correct.open_to(Role::Editor));
        assert!(!Step::Publish.open_to(Role::Contributor));
        assert!(Step::Publish.open_to(Role::Author));
        assert!(Step::Submit.open_to(Role::Contributor));
    }

    #[test]
    fn a_set_holds_what_was_put_in() {
        let steps: Steps = [Step::Submit, Step::View].into_iter().collect();
        assert!(steps.contains(Step::View) && steps.contains(Step::Submit));
        assert!(!steps.contains(Step::Edit));
        assert_eq!(steps.iter().collect::<Vec<_>>(), [Step::View, Step::Submit]);
        assert_eq!(format!("{steps:?}"), "{View, Submit}");
        assert!(Steps::NONE.is_empty());
    }
}
