//! Which service an embedded URL belongs to, and the URL helpers the converter needs.

use super::EmbedProvider;

/// The host of an `http(s)` URL, lower case, without `www.`, a port or credentials.
pub(crate) fn host(url: &str) -> Option<String> {
    let lower = url.trim();
    let rest = strip_scheme(lower)?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let host = authority.split(':').next().unwrap_or(authority);
    let host = host.to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host).to_owned();
    (!host.is_empty()).then_some(host)
}

/// What follows `http://`, `https://` or `//`.
pub(crate) fn strip_scheme(url: &str) -> Option<&str> {
    let lower_prefix = |p: &str| {
        url.get(..p.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(p))
    };
    for prefix in ["https://", "http://", "//"] {
        if lower_prefix(prefix) {
            return Some(&url[prefix.len()..]);
        }
    }
    None
}

/// The provider of a URL that WordPress (oEmbed) would embed.
pub(crate) fn provider(url: &str) -> EmbedProvider {
    let Some(host) = host(url) else {
        return EmbedProvider::Other;
    };
    let under = |domain: &str| host == domain || host.ends_with(&format!(".{domain}"));
    if under("youtube.com") || host == "youtu.be" || under("youtube-nocookie.com") {
        EmbedProvider::YouTube
    } else if under("twitter.com") || host == "x.com" {
        EmbedProvider::X
    } else if under("facebook.com") || host == "fb.watch" {
        EmbedProvider::Facebook
    } else if under("instagram.com") || host == "instagr.am" {
        EmbedProvider::Instagram
    } else if under("vimeo.com") {
        EmbedProvider::Vimeo
    } else {
        EmbedProvider::Other
    }
}

/// Whether text is one URL WordPress would embed on its own line: `http(s)`, no spaces, and a
/// provider we know (other providers need WordPress's discovery, which an import cannot do).
pub(crate) fn is_embeddable_url(text: &str) -> bool {
    let text = text.trim();
    let lower = text.to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://"))
        && !text
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '<' | '>' | '"'))
        && provider(text) != EmbedProvider::Other
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_are_told_by_host() {
        assert_eq!(
            provider("https://www.youtube.com/watch?v=x"),
            EmbedProvider::YouTube
        );
        assert_eq!(provider("https://youtu.be/x"), EmbedProvider::YouTube);
        assert_eq!(provider("https://twitter.com/a/status/1"), EmbedProvider::X);
        assert_eq!(provider("https://x.com/a/status/1"), EmbedProvider::X);
        assert_eq!(
            provider("https://www.facebook.com/a/posts/1"),
            EmbedProvider::Facebook
        );
        assert_eq!(
            provider("https://www.instagram.com/p/x/"),
            EmbedProvider::Instagram
        );
        assert_eq!(provider("https://vimeo.com/1"), EmbedProvider::Vimeo);
        assert_eq!(provider("https://notyoutube.com/x"), EmbedProvider::Other);
        assert_eq!(provider("https://example.com/"), EmbedProvider::Other);
    }

    #[test]
    fn hosts_lose_www_ports_and_credentials() {
        assert_eq!(
            host("HTTPS://WWW.Example.com:8080/a").as_deref(),
            Some("example.com")
        );
        assert_eq!(
            host("//user@cdn.example.com?x").as_deref(),
            Some("cdn.example.com")
        );
        assert_eq!(host("/relative"), None);
    }

    #[test]
    fn embeddable_urls_are_bare_and_known() {
        assert!(is_embeddable_url(
            " https://www.youtube.com/watch?v=gvsFixture2 "
        ));
        assert!(!is_embeddable_url("see https://youtu.be/x"));
        assert!(!is_embeddable_url("https://example.com/video"));
    }
}
