//! The publication's settings, as an administrator edits them.

use dateline_domain::{BaseUrl, InvalidValue, Language, Name, SiteSettings, Store};

use crate::ServiceError;

/// The settings form as typed.
#[derive(Debug, Clone, Default)]
pub struct SettingsInput {
    pub name: String,
    pub short_name: String,
    pub base_url: String,
    pub time_zone: String,
    pub locale: String,
    pub attribution_template: String,
    pub attribution_template_agency_only: String,
    pub attribution_template_edited: String,
    /// Whether article pages show their approved comments.
    pub show_comments: bool,
}

impl From<&SiteSettings> for SettingsInput {
    fn from(s: &SiteSettings) -> Self {
        Self {
            name: s.name.clone(),
            short_name: s.short_name.clone(),
            base_url: s.base_url.clone(),
            time_zone: s.time_zone.name().to_owned(),
            locale: s.locale.to_string(),
            attribution_template: s.attribution_template.clone(),
            attribution_template_agency_only: s.attribution_template_agency_only.clone(),
            attribution_template_edited: s.attribution_template_edited.clone(),
            show_comments: s.show_comments,
        }
    }
}

/// The placeholders an attribution template may use.
const PLACEHOLDERS: [&str; 3] = ["{agency}", "{site_short_name}", "{site_name}"];

/// Checks every field; all problems are reported at once.
pub fn parse_settings(input: &SettingsInput) -> Result<SiteSettings, ServiceError> {
    let mut problems = Vec::new();
    let text = |field: &'static str, value: &str, max: usize, problems: &mut Vec<InvalidValue>| {
        if let Err(e) = Name::parse_within(field, value, max) {
            problems.push(e);
        }
        value.trim().to_owned()
    };
    let name = text("name", &input.name, 100, &mut problems);
    let short_name = text("short name", &input.short_name, 30, &mut problems);
    // Empty: the site's links use the server's `--base-url`, or the address it listens on.
    let base_url = match input.base_url.trim() {
        "" => String::new(),
        typed => BaseUrl::parse(typed)
            .map(|url| url.as_str().to_owned())
            .unwrap_or_else(|e| {
                problems.push(e);
                typed.to_owned()
            }),
    };
    let time_zone = input
        .time_zone
        .trim()
        .parse::<chrono_tz::Tz>()
        .map_err(|_| {
            problems.push(InvalidValue::new(
                "time zone",
                format!(
                    "'{}' is not a time zone name such as Asia/Karachi",
                    input.time_zone.trim()
                ),
            ))
        });
    let locale = Language::parse(&input.locale).map_err(|e| problems.push(e));
    let mut template = |field: &'static str, value: &str| {
        let value = text(field, value, 200, &mut problems);
        if !value.contains("{agency}") {
            problems.push(InvalidValue::new(
                field,
                "must name the agency with {agency}",
            ));
        }
        let mut rest = value.as_str();
        while let Some(open) = rest.find('{') {
            let close = rest[open..].find('}').map_or(rest.len(), |c| open + c + 1);
            let placeholder = &rest[open..close];
            if !PLACEHOLDERS.contains(&placeholder) {
                problems.push(InvalidValue::new(
                    field,
                    format!(
                        "{placeholder} is not one of {{agency}}, {{site_short_name}}, {{site_name}}"
                    ),
                ));
            }
            rest = &rest[close.min(rest.len())..];
        }
        value
    };
    let attribution_template = template("attribution template", &input.attribution_template);
    let attribution_template_agency_only = template(
        "agency-only attribution template",
        &input.attribution_template_agency_only,
    );
    let attribution_template_edited = template(
        "edited-copy attribution template",
        &input.attribution_template_edited,
    );
    match (time_zone, locale) {
        (Ok(time_zone), Ok(locale)) if problems.is_empty() => Ok(SiteSettings {
            name,
            short_name,
            base_url,
            time_zone,
            locale,
            attribution_template,
            attribution_template_agency_only,
            attribution_template_edited,
            show_comments: input.show_comments,
        }),
        _ => Err(ServiceError::Invalid(problems)),
    }
}

/// Checks and stores new settings. Every page shows them, so the store announces that
/// everything changed: every node's cached pages go, and every node reads the settings again.
pub async fn save_settings(
    store: &dyn Store,
    input: &SettingsInput,
) -> Result<SiteSettings, ServiceError> {
    let settings = parse_settings(input)?;
    store.put_site_settings(&settings).await?;
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_settings_round_trip() {
        let mut site = SiteSettings::unconfigured();
        site.time_zone = chrono_tz::Asia::Karachi;
        assert_eq!(parse_settings(&SettingsInput::from(&site)).unwrap(), site);
    }

    #[test]
    fn every_bad_field_is_reported() {
        let input = SettingsInput {
            name: " ".into(),
            short_name: "x".repeat(31),
            base_url: "ftp://example.com".into(),
            time_zone: "Mars/Olympus".into(),
            locale: "english".into(),
            attribution_template: "From {agnecy}".into(),
            attribution_template_agency_only: "Via {agency}".into(),
            attribution_template_edited: "Rewritten".into(),
            show_comments: true,
        };
        let Err(ServiceError::Invalid(problems)) = parse_settings(&input) else {
            panic!("accepted")
        };
        let fields: Vec<_> = problems.iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            [
                "name",
                "short name",
                "base URL",
                "time zone",
                "language",
                "attribution template",
                "attribution template",
                "edited-copy attribution template"
            ]
        );
    }
}
