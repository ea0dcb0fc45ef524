//! Embeds: a video or a post from another service, placed in a body on a line of its own.
//!
//! ```text
//! ::: embed https://www.youtube.com/watch?v=dQw4w9WgXcQ The minister's statement
//! ```
//!
//! Only the services named in [`Provider`] are embedded, and only addresses whose shape we know:
//! the address is read into the provider's player address on write, so a page never frames
//! anything but those players ([`FRAME_ORIGINS`], the Content-Security-Policy's `frame-src`).
//!
//! A page loads nothing from the service until the reader asks. The block is rendered as a
//! placeholder — the service's name, the title, a plain link to the original (which works with no
//! script) and a hidden "Load the YouTube video" button — and the site's own small script
//! (`/static/embed.js`) shows the button and, on a click, puts the player's frame in the
//! placeholder's place.

use url::Url;

use crate::body::escape_html;

/// The origins whose players a page may frame: exactly the CSP's `frame-src`.
pub const FRAME_ORIGINS: [&str; 4] = [
    "https://www.youtube-nocookie.com",
    "https://player.vimeo.com",
    "https://platform.twitter.com",
    "https://www.facebook.com",
];

/// How every placeholder's markup begins, which nothing a body's own Markdown can produce (text
/// is escaped, and the sanitiser of Markdown keeps no `class`): how a page knows it needs the
/// embed script.
pub const PLACEHOLDER_MARK: &str = "<figure class=\"embed ";

/// Longest title an embed line may carry, in characters.
pub const MAX_TITLE_CHARS: usize = 300;

/// A service whose videos or posts a body may embed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    YouTube,
    X,
    Facebook,
    Vimeo,
}

impl Provider {
    /// The service's name, as readers know it.
    pub fn name(self) -> &'static str {
        match self {
            Provider::YouTube => "YouTube",
            Provider::X => "X",
            Provider::Facebook => "Facebook",
            Provider::Vimeo => "Vimeo",
        }
    }

    /// The provider's code in the page's markup (`data-embed-provider`) and class names.
    pub fn code(self) -> &'static str {
        match self {
            Provider::YouTube => "youtube",
            Provider::X => "x",
            Provider::Facebook => "facebook",
            Provider::Vimeo => "vimeo",
        }
    }

    /// Whether what is embedded is a video (shown in a 16:9 box) rather than a post.
    pub fn is_video(self) -> bool {
        !matches!(self, Provider::X)
    }

    /// What the placeholder holds: "YouTube video", "Post on X".
    fn what(self) -> &'static str {
        match self {
            Provider::YouTube => "YouTube video",
            Provider::X => "Post on X",
            Provider::Facebook => "Facebook video",
            Provider::Vimeo => "Vimeo video",
        }
    }

    /// The button that loads the player.
    pub fn load_label(self) -> &'static str {
        match self {
            Provider::YouTube => "Load the YouTube video",
            Provider::X => "Load the post from X",
            Provider::Facebook => "Load the Facebook video",
            Provider::Vimeo => "Load the Vimeo video",
        }
    }

    /// The plain link to the original.
    fn link_label(self) -> &'static str {
        match self {
            Provider::YouTube => "Watch on YouTube",
            Provider::X => "See the post on X",
            Provider::Facebook => "Watch on Facebook",
            Provider::Vimeo => "Watch on Vimeo",
        }
    }
}

/// An embed, read from its line: the original address, the player's, and the title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Embed {
    pub provider: Provider,
    /// The original address, as the `url` crate writes it (the link readers follow).
    pub url: String,
    /// The player's address, under one of [`FRAME_ORIGINS`].
    pub frame_src: String,
    /// The title written after the address, spaces collapsed; empty when none.
    pub title: String,
}

impl Embed {
    /// Reads the rest of an embed line: an address, then an optional title. The reason it is
    /// refused otherwise, for the writer.
    pub fn parse(text: &str) -> Result<Embed, String> {
        if text.chars().any(char::is_control) {
            return Err("an embed line may not hold control characters".to_owned());
        }
        let mut words = text.split_whitespace();
        let Some(address) = words.next() else {
            return Err(
                "an embed needs the address of a YouTube, X, Facebook or Vimeo post".to_owned(),
            );
        };
        let title = words.collect::<Vec<_>>().join(" ");
        if title.chars().count() > MAX_TITLE_CHARS {
            return Err(format!(
                "an embed's title is longer than {MAX_TITLE_CHARS} characters"
            ));
        }
        let (provider, url, frame_src) = player(address).ok_or_else(|| {
            format!(
                "'{address}' is not an address Dateline can embed: use the address of a YouTube \
                 video, an X (Twitter) post, a Facebook video or a Vimeo video"
            )
        })?;
        Ok(Embed {
            provider,
            url,
            frame_src,
            title,
        })
    }

    /// The placeholder readers see, as HTML: built from checked values, escaped, and passed
    /// through a sanitiser that allows exactly its own elements and attributes.
    pub fn html(&self) -> String {
        let p = self.provider;
        let kind = if p.is_video() {
            "embed-video"
        } else {
            "embed-post"
        };
        let frame_title = if self.title.is_empty() {
            p.what()
        } else {
            &self.title
        };
        let title = if self.title.is_empty() {
            String::new()
        } else {
            format!(
                "<span class=\"embed-title\">{}</span> ",
                escape_html(&self.title)
            )
        };
        let html = format!(
            "<figure class=\"embed {kind} embed-{code}\" data-embed-provider=\"{code}\" \
             data-embed-src=\"{src}\" data-embed-title=\"{frame_title}\">\
             <div class=\"embed-box\"><p class=\"embed-provider\">{what}</p>\
             <p class=\"embed-notice\">Nothing is loaded from {name} until you ask.</p>\
             <button type=\"button\" class=\"embed-load\" hidden>{load}</button></div>\
             <figcaption>{title}<a href=\"{url}\">{link}</a></figcaption></figure>",
            code = p.code(),
            src = escape_html(&self.frame_src),
            frame_title = escape_html(frame_title),
            what = p.what(),
            name = p.name(),
            load = p.load_label(),
            url = escape_html(&self.url),
            link = p.link_label(),
        );
        sanitiser().clean(&html).to_string() + "\n"
    }
}

/// The sanitiser of placeholders: their elements and attributes, nothing else.
fn sanitiser() -> ammonia::Builder<'static> {
    let mut builder = ammonia::Builder::empty();
    builder
        .add_tags(["figure", "div", "p", "button", "figcaption", "a", "span"])
        .add_tag_attributes(
            "figure",
            [
                "class",
                "data-embed-provider",
                "data-embed-src",
                "data-embed-title",
            ],
        )
        .add_tag_attributes("div", ["class"])
        .add_tag_attributes("p", ["class"])
        .add_tag_attributes("span", ["class"])
        .add_tag_attributes("button", ["type", "class", "hidden"])
        .add_tag_attributes("a", ["href"])
        .add_url_schemes(["http", "https"])
        .link_rel(Some("noopener noreferrer"));
    builder
}

/// The provider, the original address (normalised) and the player's address of `address`, if it
/// is one we know how to embed.
fn player(address: &str) -> Option<(Provider, String, String)> {
    let url = Url::parse(address).ok()?;
    if !matches!(url.scheme(), "http" | "https")
        || !url.username().is_empty()
        || url.password().is_some()
        || url.port().is_some()
    {
        return None;
    }
    let host = url.host_str()?;
    let host = ["www.", "m.", "mobile.", "web."]
        .iter()
        .find_map(|p| host.strip_prefix(p))
        .unwrap_or(host);
    let segments: Vec<&str> = url
        .path_segments()
        .map(|s| s.filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    let query = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    let (provider, frame) = match host {
        "youtube.com" => {
            let id = match segments.as_slice() {
                ["watch"] => query("v")?,
                ["shorts" | "embed" | "live", id] => (*id).to_owned(),
                _ => return None,
            };
            (Provider::YouTube, youtube_frame(&id)?)
        }
        "youtu.be" => match segments.as_slice() {
            [id] => (Provider::YouTube, youtube_frame(id)?),
            _ => return None,
        },
        "x.com" | "twitter.com" => match segments.as_slice() {
            [user, "status" | "statuses", id, ..] if is_handle(user) && is_number(id) => (
                Provider::X,
                format!("https://platform.twitter.com/embed/Tweet.html?id={id}"),
            ),
            _ => return None,
        },
        "facebook.com" => {
            let video = match segments.as_slice() {
                ["watch"] => query("v").is_some_and(|v| is_number(&v)),
                ["reel", id] => is_number(id),
                [.., "videos", _] | [.., "videos", _, _] => true,
                _ => false,
            };
            if !video {
                return None;
            }
            (Provider::Facebook, facebook_frame(&url))
        }
        "fb.watch" => match segments.as_slice() {
            [code] if is_code(code) => (Provider::Facebook, facebook_frame(&url)),
            _ => return None,
        },
        "vimeo.com" => {
            let (id, hash) = match segments.as_slice() {
                [id] => (*id, None),
                [id, hash] if is_number(id) => (*id, Some(*hash)),
                ["channels", _, id] => (*id, None),
                ["groups", _, "videos", id] => (*id, None),
                ["showcase", _, "video", id] => (*id, None),
                _ => return None,
            };
            (Provider::Vimeo, vimeo_frame(id, hash)?)
        }
        "player.vimeo.com" => match segments.as_slice() {
            ["video", id] => (Provider::Vimeo, vimeo_frame(id, query("h").as_deref())?),
            _ => return None,
        },
        _ => return None,
    };
    Some((provider, url.to_string(), frame))
}

fn youtube_frame(id: &str) -> Option<String> {
    let valid = id.len() == 11
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'));
    valid.then(|| format!("https://www.youtube-nocookie.com/embed/{id}"))
}

fn vimeo_frame(id: &str, hash: Option<&str>) -> Option<String> {
    if !is_number(id) {
        return None;
    }
    Some(match hash {
        Some(h) if !h.is_empty() && h.len() <= 32 && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
            format!("https://player.vimeo.com/video/{id}?h={h}")
        }
        Some(_) => return None,
        None => format!("https://player.vimeo.com/video/{id}"),
    })
}

/// Facebook's video plugin, given the video's address.
fn facebook_frame(video: &Url) -> String {
    let mut frame = Url::parse("https://www.facebook.com/plugins/video.php").expect("a fixed URL");
    frame
        .query_pairs_mut()
        .append_pair("href", video.as_str())
        .append_pair("show_text", "false");
    frame.to_string()
}

fn is_number(s: &str) -> bool {
    !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit())
}

/// An X account's handle.
fn is_handle(s: &str) -> bool {
    !s.is_empty() && s.len() <= 15 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// A short code such as fb.watch's.
fn is_code(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 32
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(address: &str) -> String {
        Embed::parse(address)
            .unwrap_or_else(|e| panic!("{address}: {e}"))
            .frame_src
    }

    #[test]
    fn youtube_watch_short_and_shorts_addresses_embed_without_cookies() {
        for address in [
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "https://youtube.com/watch?feature=share&v=dQw4w9WgXcQ&t=42",
            "http://m.youtube.com/watch?v=dQw4w9WgXcQ",
            "https://youtu.be/dQw4w9WgXcQ",
            "https://youtu.be/dQw4w9WgXcQ?si=abc",
            "https://www.youtube.com/shorts/dQw4w9WgXcQ",
            "https://www.youtube.com/embed/dQw4w9WgXcQ",
        ] {
            assert_eq!(
                frame(address),
                "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
                "{address}"
            );
        }
        let embed = Embed::parse("https://youtu.be/dQw4w9WgXcQ").unwrap();
        assert_eq!(embed.provider, Provider::YouTube);
        assert_eq!(embed.url, "https://youtu.be/dQw4w9WgXcQ");
    }

    #[test]
    fn x_and_twitter_posts_embed_by_their_number() {
        for address in [
            "https://x.com/GVS_News/status/1780000000000000001",
            "https://twitter.com/GVS_News/status/1780000000000000001?s=20",
            "https://mobile.twitter.com/GVS_News/status/1780000000000000001/photo/1",
        ] {
            let embed = Embed::parse(address).unwrap();
            assert_eq!(embed.provider, Provider::X);
            assert_eq!(
                embed.frame_src,
                "https://platform.twitter.com/embed/Tweet.html?id=1780000000000000001"
            );
        }
    }

    #[test]
    fn facebook_videos_embed_through_the_video_plugin() {
        let embed = Embed::parse("https://www.facebook.com/GVS/videos/123456789/").unwrap();
        assert_eq!(embed.provider, Provider::Facebook);
        assert_eq!(
            embed.frame_src,
            "https://www.facebook.com/plugins/video.php?href=https%3A%2F%2Fwww.facebook.com%2FGVS%2Fvideos%2F123456789%2F&show_text=false"
        );
        for address in [
            "https://facebook.com/GVS/videos/a-title/123456789",
            "https://www.facebook.com/watch/?v=123456789",
            "https://fb.watch/aBc-12_x/",
            "https://www.facebook.com/reel/123456789",
        ] {
            assert!(
                frame(address).starts_with("https://www.facebook.com/plugins/video.php?href="),
                "{address}"
            );
        }
    }

    #[test]
    fn vimeo_videos_embed_through_the_player() {
        assert_eq!(
            frame("https://vimeo.com/76979871"),
            "https://player.vimeo.com/video/76979871"
        );
        assert_eq!(
            frame("https://vimeo.com/76979871/abc123def0"),
            "https://player.vimeo.com/video/76979871?h=abc123def0"
        );
        assert_eq!(
            frame("https://vimeo.com/channels/staffpicks/76979871"),
            "https://player.vimeo.com/video/76979871"
        );
        assert_eq!(
            frame("https://player.vimeo.com/video/76979871"),
            "https://player.vimeo.com/video/76979871"
        );
    }

    #[test]
    fn addresses_we_cannot_embed_are_refused() {
        for address in [
            "javascript:alert(1)",
            "JavaScript://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "data:text/html,<script>alert(1)</script>",
            "ftp://youtu.be/dQw4w9WgXcQ",
            "https://example.com/watch?v=dQw4w9WgXcQ",
            "https://notyoutube.com/watch?v=dQw4w9WgXcQ",
            "https://youtube.com.evil.example/watch?v=dQw4w9WgXcQ",
            "https://www.youtube.com/watch?v=short",
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ\"onload=x",
            "https://www.youtube.com/channel/UC123",
            "https://user:pw@youtu.be/dQw4w9WgXcQ",
            "https://youtu.be:8443/dQw4w9WgXcQ",
            "https://x.com/GVS_News",
            "https://x.com/GVS_News/status/abc",
            "https://x.com/a-b/status/1",
            "https://www.facebook.com/GVS/posts/123",
            "https://www.facebook.com/GVS",
            "https://vimeo.com/about",
            "https://www.instagram.com/p/abc/",
            "/relative/path",
            "not a url",
        ] {
            assert!(Embed::parse(address).is_err(), "{address} accepted");
        }
        assert!(Embed::parse("").is_err());
    }

    #[test]
    fn control_characters_are_refused() {
        for text in [
            "https://youtu.be/dQw4w9WgXcQ\0",
            "https://youtu.be/dQw4w9WgXcQ A\u{0}title",
            "https://youtu.be/dQw4w9WgXcQ\u{7}",
            "https://youtu.be/dQw4w9WgXcQ\u{1b}[31m",
        ] {
            let err = Embed::parse(text).unwrap_err();
            assert!(err.contains("control"), "{err}");
        }
    }

    #[test]
    fn titles_follow_the_address_and_are_escaped() {
        let embed =
            Embed::parse("https://youtu.be/dQw4w9WgXcQ   The <b>minister's</b>   \"statement\"")
                .unwrap();
        assert_eq!(embed.title, "The <b>minister's</b> \"statement\"");
        let html = embed.html();
        assert!(
            html.contains("The &lt;b&gt;minister's&lt;/b&gt; \"statement\""),
            "{html}"
        );
        assert!(!html.contains("<b>"), "{html}");
        let long = format!("https://youtu.be/dQw4w9WgXcQ {}", "a".repeat(301));
        assert!(Embed::parse(&long).is_err());
    }

    #[test]
    fn the_placeholder_links_the_original_and_frames_nothing() {
        let html = Embed::parse("https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=5")
            .unwrap()
            .html();
        assert!(html.starts_with("<figure class=\"embed embed-video embed-youtube\""));
        assert!(
            html.contains("data-embed-src=\"https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ\"")
        );
        assert!(html.contains(
            "<a href=\"https://www.youtube.com/watch?v=dQw4w9WgXcQ&amp;t=5\" rel=\"noopener noreferrer\">Watch on YouTube</a>"
        ), "{html}");
        assert!(
            html.contains(
                "<button type=\"button\" class=\"embed-load\" hidden=\"\">Load the YouTube video</button>"
            ),
            "{html}"
        );
        assert!(
            !html.contains("<iframe") && !html.contains(" src="),
            "{html}"
        );
        let post = Embed::parse("https://x.com/a/status/1").unwrap().html();
        assert!(post.contains("embed-post") && post.contains("Load the post from X"));
    }

    #[test]
    fn every_player_is_under_a_framed_origin() {
        for address in [
            "https://youtu.be/dQw4w9WgXcQ",
            "https://x.com/a/status/1",
            "https://fb.watch/abc/",
            "https://vimeo.com/1",
        ] {
            let src = frame(address);
            assert!(
                FRAME_ORIGINS
                    .iter()
                    .any(|o| src.starts_with(&format!("{o}/"))),
                "{src}"
            );
        }
    }
}
