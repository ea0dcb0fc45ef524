//! Plain text out of what agencies send: tags removed, entities decoded, invisible characters
//! dropped, whitespace collapsed, lengths bounded; and the dates they write, in every form.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use dateline_domain::is_forbidden_char;

/// Sanitises a body as article bodies are ([`ammonia::Builder::default`]), after
/// [`limit_nesting`].
pub(crate) fn sanitise(html: &str) -> String {
    ammonia::Builder::default()
        .clean(&limit_nesting(html))
        .to_string()
}

/// How deep HTML elements may nest before the sanitiser sees them.
pub(crate) const MAX_HTML_DEPTH: usize = 50;

/// Elements that have no end tag, or whose end tag HTML implies when a sibling starts: they do
/// not deepen the tree. (Table parts do count: a table in a cell nests four deep.)
const FLAT: &[&str] = &[
    "p", "li", "dt", "dd", "option", "optgroup", "rb", "rt", "rp", "html", "head", "body", "br",
    "hr", "img", "wbr", "input", "meta", "link", "col", "area", "base", "embed", "source", "track",
    "param",
];

/// Drops the tags of elements nested deeper than [`MAX_HTML_DEPTH`] (their text stays). The HTML
/// parser behind the sanitiser takes time in proportion to the depth for each tag it opens, so a
/// body of a million nested `<div>`s would otherwise take hours; no real body nests that deep.
/// What this lets through still goes through the sanitiser, so it need not be exact.
pub(crate) fn limit_nesting(html: &str) -> std::borrow::Cow<'_, str> {
    if html.matches('<').count() <= MAX_HTML_DEPTH {
        return std::borrow::Cow::Borrowed(html);
    }
    let mut out = String::with_capacity(html.len());
    let mut open: Vec<String> = Vec::new();
    let mut dropped = 0usize;
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        if rest.starts_with("<!--") {
            let end = rest.find("-->").map_or(rest.len(), |e| e + 3);
            out.push_str(&rest[..end]);
            rest = &rest[end..];
            continue;
        }
        let Some(end) = tag_end(rest) else {
            break;
        };
        let tag = &rest[..=end];
        rest = &rest[end + 1..];
        let inner = &tag[1..tag.len() - 1];
        let (closing, inner) = match inner.strip_prefix('/') {
            Some(name) => (true, name),
            None => (false, inner),
        };
        let name: String = inner
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if name.is_empty() || FLAT.contains(&name.as_str()) {
            out.push_str(tag);
            continue;
        }
        if closing {
            // Only the innermost element is taken as closed: a misnested end tag may leave
            // elements open in the parser (`<b><div></b>`), so the count errs on the deep side.
            if open.last() == Some(&name) {
                open.pop();
                out.push_str(tag);
            } else if open.contains(&name) {
                out.push_str(tag);
            } else if dropped > 0 {
                dropped -= 1;
            } else {
                out.push_str(tag);
            }
        } else if inner.ends_with('/') {
            out.push_str(tag);
        } else if open.len() < MAX_HTML_DEPTH {
            open.push(name);
            out.push_str(tag);
        } else {
            dropped += 1;
        }
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// Where the tag starting at `s[0] == '<'` ends (its `>`), quotes respected.
fn tag_end(s: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in s.char_indices().skip(1) {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return Some(i),
            _ => {}
        }
    }
    None
}

/// One line of plain text from text that may hold HTML: tags removed (the contents of `script`
/// and `style` too), entities decoded, then as [`clean_line`].
pub(crate) fn html_to_line(html: &str, max_chars: usize) -> String {
    if !html.contains(['<', '&']) {
        return clean_line(html, max_chars);
    }
    let stripped = ammonia::Builder::empty()
        .clean(&limit_nesting(html))
        .to_string();
    clean_line(&decode_entities(&stripped), max_chars)
}

/// One line of plain text: forbidden characters (controls, NUL) dropped, line breaks and runs of
/// whitespace made one space, trimmed, and cut to at most `max_chars` characters.
pub(crate) fn clean_line(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars.saturating_mul(4)));
    let mut pending_space = false;
    let mut count = 0;
    for c in text.chars() {
        if c.is_whitespace() {
            pending_space = true;
            continue;
        }
        if is_forbidden_char(c) {
            continue;
        }
        if pending_space && !out.is_empty() {
            if count + 1 >= max_chars {
                break;
            }
            out.push(' ');
            count += 1;
        }
        pending_space = false;
        if count >= max_chars {
            break;
        }
        out.push(c);
        count += 1;
    }
    out
}

/// Decodes the character references an HTML serialiser writes (`&amp;`, `&lt;`, `&gt;`, `&quot;`,
/// `&nbsp;`, `&#39;`, `&#x27;`) and the common named ones; an unknown one stays as it is.
pub(crate) fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest[1..]
            .char_indices()
            .take(32)
            .find(|(_, c)| *c == ';' || !(c.is_ascii_alphanumeric() || *c == '#'))
            .filter(|(_, c)| *c == ';')
            .map(|(i, _)| i + 1);
        let decoded = end.and_then(|end| entity(&rest[1..end]).map(|c| (c, end)));
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(code).filter(|c| *c != '\0');
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        "ndash" => '–',
        "mdash" => '—',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "hellip" => '…',
        "laquo" => '«',
        "raquo" => '»',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "euro" => '€',
        "pound" => '£',
        "deg" => '°',
        "middot" => '·',
        "bull" => '•',
        _ => return None,
    })
}

/// Escapes text for HTML content and attribute values.
pub(crate) fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Plain text as HTML paragraphs: blank lines separate paragraphs where there are any (the
/// line breaks inside one are wrapping); without blank lines every line is a paragraph.
pub(crate) fn text_to_paragraphs(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let has_blank_lines = text
        .split('\n')
        .collect::<Vec<_>>()
        .windows(3)
        .any(|w| w[1].trim().is_empty() && !w[0].trim().is_empty());
    let paragraphs: Vec<String> = if has_blank_lines {
        let mut paragraphs = Vec::new();
        let mut current = String::new();
        for line in text.split('\n') {
            if line.trim().is_empty() {
                if !current.trim().is_empty() {
                    paragraphs.push(std::mem::take(&mut current));
                }
                current.clear();
            } else {
                current.push(' ');
                current.push_str(line);
            }
        }
        if !current.trim().is_empty() {
            paragraphs.push(current);
        }
        paragraphs
    } else {
        text.split('\n').map(str::to_owned).collect()
    };
    paragraphs
        .iter()
        .map(|p| clean_line(p, usize::MAX))
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>", escape_html(&p)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether sanitised HTML holds any text a reader would see (outside tags, not only spaces).
pub(crate) fn has_text(html: &str) -> bool {
    let mut in_tag = false;
    let mut rest = html;
    while let Some(c) = rest.chars().next() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            '&' if !in_tag && rest.starts_with("&nbsp;") => {
                rest = &rest["&nbsp;".len()..];
                continue;
            }
            c if !in_tag && !c.is_whitespace() && !is_forbidden_char(c) => return true,
            _ => {}
        }
        rest = &rest[c.len_utf8()..];
    }
    false
}

/// A date as agencies write it: RFC 3339, ISO 8601 without an offset (taken as UTC), a date
/// alone (midnight UTC), or RFC 2822. Anything else is `None`.
pub(crate) fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if s.is_empty() || s.len() > 64 {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    // RFC 3339 with a lower-case separator, or without seconds' colon oddities.
    if let Ok(t) = DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z") {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M%:z") {
        return Some(t.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y%m%dT%H%M%S",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, format) {
            return Some(t.and_utc());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    }
    if let Ok(t) = DateTime::parse_from_rfc2822(s) {
        return Some(t.with_timezone(&Utc));
    }
    // RFC 2822 with a day name that does not match the date, as some feeds write.
    if let Some((_, rest)) = s.split_once(", ")
        && let Ok(t) = DateTime::parse_from_rfc2822(rest)
    {
        return Some(t.with_timezone(&Utc));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_what_is_outside_tags() {
        assert!(has_text("<p>x</p>"));
        assert!(!has_text("<p> &nbsp; </p><img src=\"a\">"));
        assert!(has_text("<p>&amp;</p>"));
    }

    #[test]
    fn deep_nesting_is_cut_but_text_stays() {
        let deep = format!("{}x{}", "<div>".repeat(500), "</div>".repeat(500));
        let limited = limit_nesting(&deep);
        assert_eq!(limited.matches("<div>").count(), MAX_HTML_DEPTH);
        assert_eq!(limited.matches("</div>").count(), MAX_HTML_DEPTH);
        assert!(limited.contains('x'));
        let flat = "<p>a".repeat(500);
        assert_eq!(limit_nesting(&flat), flat);
        let commented = format!("<!--{}-->{}", "<div>".repeat(200), "<b>".repeat(50));
        assert_eq!(limit_nesting(&commented), commented);
    }

    #[test]
    fn lines_lose_tags_entities_controls_and_extra_space() {
        assert_eq!(
            html_to_line("<p>Fish &amp; <b>chips</b>\n\t&lt;3 &#x263A;\0</p>", 100),
            "Fish & chips <3 ☺"
        );
        assert_eq!(html_to_line("<script>alert(1)</script>Hi", 100), "Hi");
        assert_eq!(clean_line("  a \u{7} b\u{85}c  ", 100), "a b c");
        assert_eq!(clean_line("ééééé", 3), "ééé");
        assert_eq!(clean_line("ab cd", 3), "ab");
    }

    #[test]
    fn plain_text_becomes_escaped_paragraphs() {
        assert_eq!(
            text_to_paragraphs("One <b>\nTwo & three"),
            "<p>One &lt;b&gt;</p>\n<p>Two &amp; three</p>"
        );
        assert_eq!(
            text_to_paragraphs("A wrapped\nline.\n\nSecond."),
            "<p>A wrapped line.</p>\n<p>Second.</p>"
        );
    }

    #[test]
    fn dates_in_every_form_agencies_use() {
        let t = |s| parse_date(s).map(|d| d.to_rfc3339());
        let noon = Some("2019-05-10T14:02:28+00:00".to_owned());
        assert_eq!(t("2019-05-10T16:02:28+02:00"), noon);
        assert_eq!(t("2019-05-10T14:02:28Z"), noon);
        assert_eq!(t("2019-05-10T14:02:28"), noon);
        assert_eq!(t(" 2019-05-10T14:02:28Z "), noon);
        assert_eq!(t("Fri, 10 May 2019 10:02:28 -0400"), noon);
        assert_eq!(t("Fri, 10 May 2019 14:02:28 GMT"), noon);
        assert_eq!(t("Mon, 10 May 2019 14:02:28 GMT"), noon);
        assert_eq!(
            t("2023-05-31"),
            Some("2023-05-31T00:00:00+00:00".to_owned())
        );
        assert_eq!(t("yesterday"), None);
        assert_eq!(t(""), None);
    }
}
