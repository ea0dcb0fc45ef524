//! The publication's own settings.

use std::net::SocketAddr;

use chrono_tz::Tz;

use crate::paths::SitePath;
use crate::text::{InvalidValue, Language, is_forbidden_char};

/// Who the publication is and how it speaks.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteSettings {
    /// "Global Village Space".
    pub name: String,
    /// "GVS": used in attributions.
    pub short_name: String,
    /// Absolute URL of the site's root, without a trailing slash, as an administrator set it;
    /// empty when none did. What the site's links use is [`SiteSettings::with_base_url`]'s.
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
    /// Attribution for agency copy the newsroom rewrote, e.g. `With inputs from {agency}`.
    pub attribution_template_edited: String,
    /// Whether article pages show their approved comments (off until an administrator turns
    /// it on).
    pub show_comments: bool,
}

impl SiteSettings {
    /// Settings of a publication that has not been configured yet.
    pub fn unconfigured() -> Self {
        Self {
            name: "Dateline".to_owned(),
            short_name: "Dateline".to_owned(),
            base_url: String::new(),
            time_zone: Tz::UTC,
            locale: Language::english(),
            attribution_template: "Via {agency} with additional inputs from {site_short_name}"
                .to_owned(),
            attribution_template_agency_only: "Via {agency}".to_owned(),
            attribution_template_edited: "With inputs from {agency}".to_owned(),
            show_comments: false,
        }
    }
}

impl SiteSettings {
    /// These settings as the site shows them: `configured` (the server's `--base-url`) when
    /// given, else the administrator's base URL, else `listening` (the server's own address).
    pub fn with_base_url(mut self, configured: Option<&BaseUrl>, listening: &BaseUrl) -> Self {
        if let Some(configured) = configured {
            configured.as_str().clone_into(&mut self.base_url);
        } else if self.base_url.is_empty() {
            listening.as_str().clone_into(&mut self.base_url);
        }
        self
    }

    /// The base URL the site's links start with: [`SiteSettings::base_url`], which the settings
    /// form and [`SiteSettings::with_base_url`] only ever set to a [`BaseUrl`]. Unconfigured
    /// settings not yet given an address have none: every URL joined to it is then a path.
    pub fn base(&self) -> BaseUrl {
        BaseUrl(self.base_url.trim_end_matches('/').to_owned())
    }
}

/// The absolute `http://` or `https://` URL of a site's root, without a trailing slash: what
/// every absolute link (canonical, feeds, sitemaps, JSON-LD, robots.txt) starts with, joined
/// with a [`SitePath`] ([`BaseUrl::join`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl(String);

impl BaseUrl {
    /// `https://www.example.com` or `http://host:port`; a trailing slash is dropped. A path, a
    /// query or a fragment is refused: the site is served from the root of its host.
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let url = s.trim().trim_end_matches('/');
        let bad = || {
            InvalidValue::new(
                "base URL",
                "must be an http:// or https:// address such as https://www.example.com, without a path",
            )
        };
        let host = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .ok_or_else(bad)?;
        let fits = !host.is_empty()
            && !host.contains(|c: char| {
                c.is_whitespace()
                    || is_forbidden_char(c)
                    || matches!(c, '/' | '?' | '#' | '@' | '\\')
            });
        if !fits {
            return Err(bad());
        }
        Ok(Self(url.to_owned()))
    }

    /// The URL of a server listening on `addr`: its address as a browser on the same machine
    /// would type it (`localhost` for every interface), the port left out when it is 80.
    pub fn listening_on(addr: SocketAddr) -> Self {
        let host = match addr.ip() {
            ip if ip.is_unspecified() => "localhost".to_owned(),
            std::net::IpAddr::V4(ip) => ip.to_string(),
            std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        };
        match addr.port() {
            80 => Self(format!("http://{host}")),
            port => Self(format!("http://{host}:{port}")),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The absolute URL of `path`: `https://www.example.com/section/world`.
    pub fn join(&self, path: &SitePath) -> String {
        format!("{}{path}", self.0)
    }
}

impl std::fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_http_roots() {
        assert_eq!(
            BaseUrl::parse(" https://gvs.example/ ").unwrap().as_str(),
            "https://gvs.example"
        );
        assert_eq!(
            BaseUrl::parse("http://127.0.0.1:9000").unwrap().as_str(),
            "http://127.0.0.1:9000"
        );
        for bad in [
            "",
            "gvs.example",
            "ftp://gvs.example",
            "https://",
            "https://gvs.example/news",
            "https://gvs.example?x=1",
            "https://user@gvs.example",
            "https://gvs example",
            "https://gvs.example\u{7}",
        ] {
            assert!(BaseUrl::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_server_is_reached_where_it_listens() {
        let url = |a: &str| BaseUrl::listening_on(a.parse().unwrap()).to_string();
        assert_eq!(url("127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert_eq!(url("0.0.0.0:9000"), "http://localhost:9000");
        assert_eq!(url("[::]:80"), "http://localhost");
        assert_eq!(url("[::1]:8443"), "http://[::1]:8443");
    }

    #[test]
    fn the_command_line_wins_then_the_administrator_then_the_address() {
        let listening = BaseUrl::listening_on("127.0.0.1:9000".parse().unwrap());
        let configured = BaseUrl::parse("https://gvs.example").unwrap();
        let unset = SiteSettings::unconfigured();
        let mut set = SiteSettings::unconfigured();
        set.base_url = "https://admin.example".to_owned();
        let shown =
            |s: &SiteSettings, c: Option<&BaseUrl>| s.clone().with_base_url(c, &listening).base_url;
        assert_eq!(shown(&unset, None), "http://127.0.0.1:9000");
        assert_eq!(shown(&set, None), "https://admin.example");
        assert_eq!(shown(&set, Some(&configured)), "https://gvs.example");
    }
}
