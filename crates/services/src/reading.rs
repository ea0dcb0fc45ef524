//! What readers see: an article with its Read More links resolved as of now, and the attribution
//! line. Only published articles are ever returned.

use std::collections::HashMap;

use dateline_domain::{
    Article, ArticleId, ArticleStatus, ArticleSummary, AttributionMode, Language, SiteSettings,
    Slug, Source, Store, StoreError,
};

use crate::body::{self, Rendered};

/// An article ready to show.
#[derive(Debug, Clone)]
pub struct PublishedArticle {
    pub article: Article,
    pub body: Vec<BodyPart>,
    /// Every article the body refers to, shown or not: the page changes when any of them does.
    pub references: Vec<ArticleId>,
    /// "Via APP with additional inputs from GVS", when the copy came from an agency.
    pub attribution: Option<String>,
}

/// A piece of the body as shown to readers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyPart {
    /// Sanitised HTML.
    Html(String),
    /// A link to another published article, with its current headline.
    ReadMore(ArticleSummary),
}

/// The published article at `slug`, or `None` if there is none (or it is not public).
pub async fn published_article(
    store: &dyn Store,
    settings: &SiteSettings,
    slug: &Slug,
) -> Result<Option<PublishedArticle>, StoreError> {
    let Some(article) = store.article_by_slug(slug).await? else {
        return Ok(None);
    };
    if article.status != ArticleStatus::Published {
        return Ok(None);
    }
    let (body, references) = resolve_body(store, &article.body_html).await?;
    let attribution = article
        .source
        .as_ref()
        .map(|source| attribution(settings, source));
    Ok(Some(PublishedArticle {
        article,
        body,
        references,
        attribution,
    }))
}

/// A rendered body with its Read More blocks resolved as of now: current headlines, and nothing
/// for targets that are missing or not published.
pub async fn body_parts(store: &dyn Store, body_html: &str) -> Result<Vec<BodyPart>, StoreError> {
    Ok(resolve_body(store, body_html).await?.0)
}

/// The body's parts as shown, and every article its Read More blocks refer to (shown or not).
async fn resolve_body(
    store: &dyn Store,
    body_html: &str,
) -> Result<(Vec<BodyPart>, Vec<ArticleId>), StoreError> {
    let parts = body::split_rendered(body_html);
    let ids: Vec<ArticleId> = parts
        .iter()
        .filter_map(|part| match part {
            Rendered::ReadMore(id) => Some(*id),
            Rendered::Html(_) => None,
        })
        .collect();
    let targets: HashMap<_, _> = store
        .summaries(&ids)
        .await?
        .into_iter()
        .filter(|s| s.status == ArticleStatus::Published)
        .map(|s| (s.id, s))
        .collect();
    let shown = parts
        .into_iter()
        .filter_map(|part| match part {
            Rendered::Html(html) => Some(BodyPart::Html(html.to_owned())),
            Rendered::ReadMore(id) => targets.get(&id).cloned().map(BodyPart::ReadMore),
        })
        .collect();
    Ok((shown, ids))
}

/// Fills the site's attribution template for `source`'s mode, naming its agencies as a
/// sentence would: "APP", "APP and Reuters", "APP, AFP and Reuters" (in Urdu with "اور").
pub fn attribution(settings: &SiteSettings, source: &Source) -> String {
    let template = match source.mode {
        AttributionMode::AsReceived => &settings.attribution_template_agency_only,
        AttributionMode::Edited => &settings.attribution_template_edited,
        AttributionMode::AdditionalInputs => &settings.attribution_template,
    };
    template
        .replace("{agency}", &name_list(&source.agencies, &settings.locale))
        .replace("{site_short_name}", &settings.short_name)
        .replace("{site_name}", &settings.name)
}

/// `names` joined as a list in `language`.
fn name_list(names: &[String], language: &Language) -> String {
    let (comma, and) = if language.primary() == "ur" {
        ("، ", " اور ")
    } else {
        (", ", " and ")
    };
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{}{and}{last}", rest.join(comma)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(agencies: &[&str], mode: AttributionMode) -> Source {
        Source {
            agencies: agencies.iter().map(|&a| a.to_owned()).collect(),
            mode,
        }
    }

    #[test]
    fn attribution_follows_the_template_of_the_mode() {
        let mut settings = SiteSettings::unconfigured();
        settings.short_name = "GVS".into();
        let with_inputs = source(&["APP"], AttributionMode::AdditionalInputs);
        assert_eq!(
            attribution(&settings, &with_inputs),
            "Via APP with additional inputs from GVS"
        );
        let as_received = source(&["Reuters"], AttributionMode::AsReceived);
        assert_eq!(attribution(&settings, &as_received), "Via Reuters");
        let edited = source(&["APP", "Reuters"], AttributionMode::Edited);
        assert_eq!(
            attribution(&settings, &edited),
            "With inputs from APP and Reuters"
        );
        settings.attribution_template = "{site_name} / {agency}".into();
        assert_eq!(attribution(&settings, &with_inputs), "Dateline / APP");
    }

    #[test]
    fn agencies_are_named_as_a_sentence_names_them() {
        let english = Language::english();
        let names = |list: &[&str]| list.iter().map(|&a| a.to_owned()).collect::<Vec<_>>();
        assert_eq!(name_list(&names(&["APP"]), &english), "APP");
        assert_eq!(
            name_list(&names(&["APP", "AFP", "Reuters"]), &english),
            "APP, AFP and Reuters"
        );
        let urdu = Language::parse("ur").unwrap();
        assert_eq!(
            name_list(&names(&["اے پی پی", "رائٹرز"]), &urdu),
            "اے پی پی اور رائٹرز"
        );
    }
}
