//! Who is asking: the session cookie, the signed-in account, the CSRF check, the client's
//! address, and forms whose rejection is a newsroom error page.
//!
//! Every urlencoded newsroom form is read by [`CsrfForm`], which refuses it unless it carries
//! the session's CSRF token, so no handler checks the token by hand. Two forms cannot use it:
//! the sign-in form, whose token is the sign-in cookie's (there is no session yet), and the
//! image upload, whose token arrives somewhere in a multipart stream; each checks once, itself.
//!
//! The client's address decides which sign-in limits an attempt counts against, so it is taken
//! from `X-Forwarded-For` only when the request comes from a configured trusted proxy; otherwise
//! anybody could reset their count by sending the header.

use std::net::{IpAddr, SocketAddr};

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, RawForm, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use dateline_domain::{Action, Session, User};
use dateline_services::{ServiceError, accounts};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::AdminError;
use crate::AppState;

/// The cookie that carries the session token.
pub const SESSION_COOKIE: &str = "dateline_session";
/// The cookie that carries the sign-in form's CSRF token, before there is a session.
pub const LOGIN_COOKIE: &str = "dateline_login";
/// The long-lived cookie that makes a browser a known device of the accounts signed in on it.
pub const DEVICE_COOKIE: &str = "dateline_device";

/// A signed-in account and its session. Extracting it sends anonymous visitors (and expired
/// sessions) to the sign-in page. The session is looked up once per request: the first
/// extraction keeps it in the request's extensions for the later ones ([`CsrfForm`]).
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user: User,
    pub session: Session,
}

impl SignedIn {
    /// Refuses with 403 unless the account's role may do `action`.
    pub fn require(&self, action: Action) -> Result<(), AdminError> {
        if self.user.may(action) {
            Ok(())
        } else {
            Err(ServiceError::Forbidden.into())
        }
    }

    /// Refuses with 403 unless `token` is this session's CSRF token.
    pub fn check_csrf(&self, token: &str) -> Result<(), AdminError> {
        if accounts::same_secret(token, &self.session.csrf_token) {
            Ok(())
        } else {
            Err(AdminError::Csrf)
        }
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = AdminError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AdminError> {
        if let Some(signed) = parts.extensions.get::<SignedIn>() {
            return Ok(signed.clone());
        }
        let next = parts.uri.clone();
        // After sign-in, come back to the page that was asked for (a GET), or to the page the
        // form was on.
        let next = if parts.method == axum::http::Method::GET {
            next.path_and_query()
                .map_or("/admin", |p| p.as_str())
                .to_owned()
        } else {
            "/admin".to_owned()
        };
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(AdminError::SignIn { next });
        };
        match accounts::session(state.store.as_ref(), &token, state.clock.now()).await? {
            Some((session, user)) => {
                let signed = Self { user, session };
                parts.extensions.insert(signed.clone());
                Ok(signed)
            }
            None => Err(AdminError::SignIn { next }),
        }
    }
}

/// The value of cookie `name`, if the request carries it.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"').to_owned())
        .filter(|v| !v.is_empty())
}

/// Whether the browser reached us over HTTPS (directly configured, or through a proxy that says so).
pub fn over_https(state: &AppState, headers: &HeaderMap) -> bool {
    state.site().base_url.starts_with("https://")
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// A `Set-Cookie` value for a newsroom cookie: HttpOnly, SameSite=Lax, Secure over HTTPS,
/// limited to `/admin`. A `max_age` of 0 deletes the cookie.
pub fn set_cookie(name: &str, value: &str, max_age_secs: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/admin; Max-Age={max_age_secs}; HttpOnly; SameSite=Lax{secure}")
}

/// The address of the client: the TCP peer, unless the peer is a trusted proxy; then the
/// right-most `X-Forwarded-For` entry that is not itself a trusted proxy. A header that does not
/// parse (an entry that is not an IP address) counts as absent. `None` only when the server was
/// not started with peer addresses (a test driving the router without a socket).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub Option<IpAddr>);

impl ClientAddress {
    /// The key the sign-in limits count this client under.
    pub fn limit_key(&self) -> String {
        self.0
            .map_or_else(|| "unknown".to_owned(), accounts::address_key)
    }
}

impl std::fmt::Display for ClientAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(ip) => ip.fmt(f),
            None => f.write_str("unknown"),
        }
    }
}

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(Self(peer.map(|peer| {
            client_address(peer, &parts.headers, &state.trusted_proxies)
        })))
    }
}

/// The client behind `peer`: see [`ClientAddress`].
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|t| same_ip(t, ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let mut hops = Vec::new();
    for value in headers.get_all("x-forwarded-for") {
        let Ok(value) = value.to_str() else {
            return peer;
        };
        for entry in value.split(',') {
            match entry.trim().parse::<IpAddr>() {
                Ok(ip) => hops.push(ip),
                Err(_) => return peer,
            }
        }
    }
    // Right to left: each trusted proxy names the one before it; the first untrusted hop is the
    // client. When every hop is a trusted proxy, the left-most is as far as we can see.
    hops.iter()
        .rev()
        .find(|ip| !is_trusted(ip))
        .or(hops.first())
        .copied()
        .unwrap_or(peer)
}

/// Equal addresses, an IPv4 address and its IPv6-mapped form included.
fn same_ip(a: &IpAddr, b: &IpAddr) -> bool {
    a.to_canonical() == b.to_canonical()
}

/// A URL-encoded form whose rejection is a clear newsroom error. Handlers take it only for the
/// sign-in form; every form of a signed-in account is a [`CsrfForm`], which reads through it.
pub struct AdminForm<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for AdminForm<T> {
    type Rejection = AdminError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AdminError> {
        axum::Form::<T>::from_request(req, state)
            .await
            .map(|f| Self(f.0))
            .map_err(|e| unreadable(e.status(), &e.body_text()))
    }
}

/// The refusal of a form that could not be read: over the size limit, or not a form.
fn unreadable(status: StatusCode, why: &str) -> AdminError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        AdminError::TooLarge(format!(
            "This form is larger than the newsroom accepts ({} KB at most), so nothing was saved. Your text is still in the page you came from: go back, shorten it, and save again.",
            super::MAX_FORM_BYTES / 1024
        ))
    } else {
        AdminError::BadRequest(format!("the form could not be read ({why})"))
    }
}

/// A signed-in account's URL-encoded form, `T`, that carried the session's CSRF token in its
/// `csrf` field (`T` itself need not name it).
///
/// The body is read once, within the route's size limit, and refused as [`AdminForm`] refuses
/// a form it cannot read; then a token that is missing or not this session's is refused with
/// [`AdminError::Csrf`] (403) before the handler runs, so nothing is read from or written to
/// the store for a forged form. Put it last among a handler's extractors, after [`SignedIn`]
/// (whose lookup it reuses) and the path.
pub struct CsrfForm<T>(pub T);

/// A form with nothing but its CSRF token: a button.
#[derive(Debug, Deserialize)]
pub struct NoFields {}

/// The token every newsroom form carries.
#[derive(Deserialize)]
struct CsrfToken {
    #[serde(default)]
    csrf: String,
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = AdminError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, AdminError> {
        let (mut parts, body) = req.into_parts();
        let signed = SignedIn::from_request_parts(&mut parts, state).await?;
        let (form, token) = read_form::<T>(Request::from_parts(parts, body)).await?;
        signed.check_csrf(&token)?;
        Ok(Self(form))
    }
}

/// The form `T` and the CSRF token it carried. The body is read once; both readings of it go
/// through the framework's own form reader, so a form that cannot be read is refused in the
/// same words as by [`AdminForm`].
async fn read_form<T: DeserializeOwned + Send>(req: Request) -> Result<(T, String), AdminError> {
    let (parts, body) = req.into_parts();
    let RawForm(bytes) = RawForm::from_request(Request::from_parts(parts.clone(), body), &())
        .await
        .map_err(|e| unreadable(e.status(), &e.body_text()))?;
    let again = |bytes: Bytes| Request::from_parts(parts.clone(), Body::from(bytes));
    let AdminForm(form) = AdminForm::<T>::from_request(again(bytes.clone()), &()).await?;
    let AdminForm(token) = AdminForm::<CsrfToken>::from_request(again(bytes), &()).await?;
    Ok((form, token.csrf))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const URLENCODED: &str = "application/x-www-form-urlencoded";

    fn post(body: &str, content_type: Option<&str>) -> Request {
        let mut request = axum::http::Request::builder()
            .method("POST")
            .uri("/admin/articles");
        if let Some(content_type) = content_type {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        request.body(Body::from(body.to_owned())).unwrap()
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct Story {
        #[serde(default)]
        base: i64,
        #[serde(default)]
        headline: String,
    }

    /// The same form as it was read when the token was one of its own fields.
    #[derive(Debug, Deserialize)]
    struct StoryAndToken {
        #[serde(default)]
        #[expect(dead_code, reason = "only its parsing matters")]
        csrf: String,
        #[serde(default)]
        #[expect(dead_code, reason = "only its parsing matters")]
        base: i64,
        #[serde(default)]
        #[expect(dead_code, reason = "only its parsing matters")]
        headline: String,
    }

    #[tokio::test]
    async fn a_form_and_its_token_are_read_though_the_form_does_not_name_the_token() {
        let body = "headline=Budget+talks&csrf=ab%2Bc&base=3";
        let (story, token) = read_form::<Story>(post(body, Some(URLENCODED)))
            .await
            .unwrap();
        assert_eq!(
            story,
            Story {
                base: 3,
                headline: "Budget talks".to_owned()
            }
        );
        assert_eq!(token, "ab+c");
        let (NoFields {}, token) = read_form::<NoFields>(post("", Some(URLENCODED)))
            .await
            .unwrap();
        assert_eq!(token, "", "no token is an empty one, which no session has");
    }

    #[tokio::test]
    async fn a_form_that_cannot_be_read_is_refused_as_when_the_token_was_its_field() {
        let too_large = format!("headline={}", "a".repeat(3 * 1024 * 1024));
        for (body, content_type) in [
            ("base=three", Some(URLENCODED)),
            ("base=1&base=2", Some(URLENCODED)),
            ("csrf=a&csrf=b", Some(URLENCODED)),
            ("base=3", None),
            ("base=3", Some("text/plain")),
            (too_large.as_str(), Some(URLENCODED)),
        ] {
            let now = read_form::<Story>(post(body, content_type))
                .await
                .map(drop)
                .unwrap_err();
            let before = AdminForm::<StoryAndToken>::from_request(post(body, content_type), &())
                .await
                .map(drop)
                .unwrap_err();
            assert_eq!(format!("{now:?}"), format!("{before:?}"), "{body:.40}");
        }
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        headers
    }

    #[test]
    fn forwarded_for_counts_only_from_a_trusted_proxy() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let proxy = [ip("10.0.0.1"), ip("10.0.0.2")];
        let headers = forwarded(&["198.51.100.9, 203.0.113.5"]);
        assert_eq!(
            client_address(ip("192.0.2.1"), &headers, &proxy),
            ip("192.0.2.1")
        );
        assert_eq!(
            client_address(ip("192.0.2.1"), &headers, &[]),
            ip("192.0.2.1")
        );
        // The right-most hop the proxy saw, not what the client wrote to the left of it.
        assert_eq!(
            client_address(ip("10.0.0.1"), &headers, &proxy),
            ip("203.0.113.5")
        );
        // Trusted proxies in the chain are stepped over; several headers are one list.
        let chained = forwarded(&["198.51.100.9", "203.0.113.5, 10.0.0.2"]);
        assert_eq!(
            client_address(ip("10.0.0.1"), &chained, &proxy),
            ip("203.0.113.5")
        );
        assert_eq!(
            client_address(ip("::ffff:10.0.0.1"), &headers, &proxy),
            ip("203.0.113.5")
        );
        // Malformed or missing: the peer.
        for bad in [&["203.0.113.5:443"][..], &["unknown"], &["1.2.3.4, "], &[]] {
            assert_eq!(
                client_address(ip("10.0.0.1"), &forwarded(bad), &proxy),
                ip("10.0.0.1"),
                "{bad:?}"
            );
        }
    }
}
