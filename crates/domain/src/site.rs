//! The publication's own settings.

use chrono_tz::Tz;

use crate::text::Language;

/// Who the publication is and how it speaks.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteSettings {
    /// "Global Village Space".
    pub name: String,
    /// "GVS": used in attributions.
    pub short_name: String,
    /// Absolute URL of the site's root, without a trailing slash.
    pub base_url: String,
    /// The newsroom's time zone: dates on the site are shown in it.
    pub time_zone: Tz,
    /// The site's language, and the locale of its dates.
    pub locale: Language,
    /// Attribution for agency copy the newsroom added to, e.g.
    /// `Via {agency} with additional inputs from {site_short_name}`.
    pub attribution_template: String,
    /// Attribution for agency copy run as received, e.g. `Via {agency}`.
    pub attribution_template_agency_only: String,
}

impl SiteSettings {
    /// Settings of a publication that has not been configured yet.
    pub fn unconfigured() -> Self {
        Self {
            name: "Dateline".to_owned(),
            short_name: "Dateline".to_owned(),
            base_url: "http://127.0.0.1:8080".to_owned(),
            time_zone: Tz::UTC,
            locale: Language::english(),
            attribution_template: "Via {agency} with additional inputs from {site_short_name}"
                .to_owned(),
            attribution_template_agency_only: "Via {agency}".to_owned(),
        }
    }
}
