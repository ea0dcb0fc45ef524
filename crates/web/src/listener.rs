//! The accept loop: HTTP/1.1 connections under limits a hostile client cannot stretch.
//!
//! axum's own `serve` sets no timeouts and no connection limit, so a client that opens a
//! connection and trickles header bytes, or says nothing at all, holds a task and a file
//! descriptor for as long as it likes, and a few hundred such clients starve everyone else of
//! descriptors. Here every connection is bounded (the values are [`ServeLimits`]):
//!
//! - hyper's header read timeout runs whenever hyper waits for a request head: from the moment a
//!   connection is accepted and again after each response on a kept-alive connection. So it closes
//!   a client that trickles its headers, a silent new connection and an idle keep-alive
//!   connection alike.
//! - The request body must arrive whole within its deadline, and the whole request (body and
//!   handler) within another; both are router layers ([`crate::serve_with`]).
//! - At most [`ServeLimits::max_connections`] connections are served at once. Past that a new
//!   connection is answered at once with a short `503 Service Unavailable` and `Retry-After`,
//!   and closed: never left waiting. Keep the limit well below the process's file-descriptor
//!   limit so the database, the search index and the health check always find one.
//! - A connection over the limit that asks for `/healthz` is answered by the health check, not
//!   the 503: a server that holds its limit against a flood is alive, and a load balancer or an
//!   orchestrator that took it for dead would restart it mid-attack. A few dozen connections
//!   are turned away at once; when a flood of silent ones fills those places, the one that has
//!   waited longest without a request head makes room for the newest, so a health check, which
//!   speaks at once, is never the connection closed unanswered.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use crate::metrics::ConnectionStats;

/// Connections served at once unless configured otherwise.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// Connections being turned away at once; past that the one that has waited longest without
/// sending a request head is closed, or the new one when all of them have sent theirs.
const MAX_TURNING_AWAY: usize = 64;
/// How long a turned-away connection is given to take its 503.
const TURN_AWAY_TIME: Duration = Duration::from_secs(2);
/// How long a turned-away connection is given to send its request head. A health check or a
/// browser sends it at once; a flood's idle connections send nothing, and must not hold the
/// few turning-away slots while the health check waits for one.
const TURN_AWAY_HEAD_TIME: Duration = Duration::from_millis(250);
/// Bytes of a turned-away client's request read (and dropped) so closing does not reset the
/// connection before the client has read its 503.
const TURN_AWAY_DRAIN: usize = 64 * 1024;
/// Largest request head read from a turned-away client (enough for any health check).
const TURN_AWAY_HEAD_BYTES: usize = 8 * 1024;
/// Seconds a turned-away client is asked to wait before trying again.
const RETRY_AFTER_SECS: u64 = 5;
/// Largest request head (request line and headers) hyper buffers for a connection.
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// How long to wait before accepting again when accepting fails (out of file descriptors).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Connections the kernel may hold ready for the accept loop (capped by the system's
/// `net.core.somaxconn`). A burst of clients connecting at once must fit: past the queue the
/// kernel drops their handshakes, and a client that sends nothing until it hears from the server
/// is then left believing it is connected to a server that never saw it.
pub const ACCEPT_BACKLOG: u32 = 4096;

/// Listens on `addr` with room for [`ACCEPT_BACKLOG`] connections waiting to be accepted (a
/// plain `bind` leaves room for 128 here).
pub fn listen(addr: std::net::SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(ACCEPT_BACKLOG)
}

/// The bounds every connection is served under.
#[derive(Debug, Clone)]
pub struct ServeLimits {
    /// Connections served at once; past it a new connection gets a 503 and is closed.
    pub max_connections: usize,
    /// How long a client has to send a request's head: on a new connection, and between
    /// requests on a kept-alive one (so it is also the idle timeout).
    pub header_read_timeout: Duration,
    /// How long a client has to send a whole request body.
    pub body_read_timeout: Duration,
    /// The longest a request may take from its head to its response (408 after that).
    pub request_timeout: Duration,
    /// On shutdown, how long requests in flight are given to finish once the server has
    /// stopped accepting; connections still open after it are closed.
    pub shutdown_grace: Duration,
}

impl Default for ServeLimits {
    fn default() -> Self {
        Self {
            max_connections: DEFAULT_MAX_CONNECTIONS,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(60),
            request_timeout: Duration::from_secs(90),
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

/// Accepts connections on `listener` and serves `router` on each, under `limits`, until
/// `shutdown` completes; then stops accepting (new connections are refused), lets the requests
/// in flight finish (idle kept-alive connections are closed at once) and returns, after at most
/// [`ServeLimits::shutdown_grace`]. Open and refused connections are counted in `stats`.
pub async fn accept_loop(
    listener: TcpListener,
    router: Router,
    limits: &ServeLimits,
    stats: Arc<ConnectionStats>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let connections = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    stats.set_limit(limits.max_connections.max(1));
    let turning_away = Arc::new(TurnAwayDesk::default());
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(MAX_HEAD_BYTES);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    if !is_connection_error(&e) {
                        // Most often out of file descriptors: wait for some to be freed.
                        tracing::warn!(error = %e, "cannot accept a connection");
                        tokio::time::sleep(ACCEPT_BACKOFF).await;
                    }
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = connections.clone().try_acquire_owned() else {
            stats.refused();
            turn_away(stream, peer, &router, &turning_away);
            // Let the new connection's task read the head it may already have sent before the
            // next accept can push it out.
            tokio::task::yield_now().await;
            continue;
        };
        let open = stats.opened();
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            let router = router.clone();
            async move {
                let response = tower::ServiceExt::oneshot(router, request).await;
                Ok::<_, Infallible>(response.unwrap_or_else(|never| match never {}))
            }
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, %peer, "connection closed");
            }
            drop(permit);
            drop(open);
        });
    }
    drop(listener);
    let in_flight = limits.max_connections.max(1) - connections.available_permits();
    tracing::info!(
        connections = in_flight,
        "stopped accepting; finishing requests in flight"
    );
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "requests still running after {:?} were cut off",
            limits.shutdown_grace
        );
    }
    Ok(())
}

/// Errors of one connection (it went away before we took it) that say nothing about the listener.
fn is_connection_error(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
}

/// The page a connection over the limit gets.
const BUSY_PAGE: &str = "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">\
<title>Temporarily unavailable</title><h1>Temporarily unavailable</h1>\
<p>We are serving as many readers as we can. Please try again in a few seconds.</p></html>\n";

/// The connections being turned away, at most [`MAX_TURNING_AWAY`]: those still waiting for
/// their request head (oldest first) and those being answered.
///
/// A flood of silent connections must not keep a health check out: when every place is taken, the
/// connection that has waited longest without completing its request head is closed to make room
/// for the new one. A health check sends its head as soon as it connects, so it is answered long
/// before sixty-four newer connections push it out; silent ones only ever push each other out.
#[derive(Default)]
struct TurnAwayDesk {
    places: std::sync::Mutex<Places>,
}

#[derive(Default)]
struct Places {
    next: u64,
    /// Still waiting for a request head, oldest first; sending on the channel closes it.
    waiting: std::collections::VecDeque<(u64, tokio::sync::oneshot::Sender<()>)>,
    /// Being answered: no longer evicted.
    answering: Vec<u64>,
}

impl TurnAwayDesk {
    /// A place for a new connection, closing the longest-waiting silent one when all are taken;
    /// `None` when every place holds a connection being answered.
    fn admit(self: &Arc<Self>) -> Option<(Ticket, tokio::sync::oneshot::Receiver<()>)> {
        let mut places = self.places.lock().unwrap_or_else(|e| e.into_inner());
        if places.waiting.len() + places.answering.len() >= MAX_TURNING_AWAY {
            let (_, evict) = places.waiting.pop_front()?;
            let _ = evict.send(());
        }
        let id = places.next;
        places.next += 1;
        let (evict, evicted) = tokio::sync::oneshot::channel();
        places.waiting.push_back((id, evict));
        Some((
            Ticket {
                desk: self.clone(),
                id,
            },
            evicted,
        ))
    }

    /// Moves `id` from waiting to answering; false when it was closed to make room already.
    fn heard(&self, id: u64) -> bool {
        let mut places = self.places.lock().unwrap_or_else(|e| e.into_inner());
        let Some(at) = places
            .waiting
            .iter()
            .position(|(waiting, _)| *waiting == id)
        else {
            return false;
        };
        // Dropping the sender (rather than sending) leaves the connection open.
        places.waiting.remove(at);
        places.answering.push(id);
        true
    }

    fn leave(&self, id: u64) {
        let mut places = self.places.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(at) = places
            .waiting
            .iter()
            .position(|(waiting, _)| *waiting == id)
        {
            places.waiting.remove(at);
        } else if let Some(at) = places
            .answering
            .iter()
            .position(|answering| *answering == id)
        {
            places.answering.swap_remove(at);
        }
    }
}

/// A turned-away connection's place at the desk, given back when dropped.
struct Ticket {
    desk: Arc<TurnAwayDesk>,
    id: u64,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.desk.leave(self.id);
    }
}

/// Answers a connection over the limit with a 503 (or, for `/healthz`, the health check) and
/// closes it, without holding it longer than [`TURN_AWAY_TIME`]; when every place at the desk
/// holds a connection being answered, closes it at once.
fn turn_away(
    stream: TcpStream,
    peer: std::net::SocketAddr,
    router: &Router,
    desk: &Arc<TurnAwayDesk>,
) {
    let Some((ticket, evicted)) = desk.admit() else {
        drop(stream);
        return;
    };
    let router = router.clone();
    let desk = desk.clone();
    let id = ticket.id;
    tokio::spawn(async move {
        let _ticket = ticket;
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            let router = router.clone();
            let heard = desk.heard(id);
            async move {
                if !heard || request.uri().path() != "/healthz" {
                    return Ok::<_, Infallible>(busy());
                }
                request.extensions_mut().insert(ConnectInfo(peer));
                let response = tower::ServiceExt::oneshot(router, request).await;
                Ok(response.unwrap_or_else(|never| match never {}))
            }
        });
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(TURN_AWAY_HEAD_TIME)
            .max_buf_size(TURN_AWAY_HEAD_BYTES)
            .title_case_headers(true)
            .keep_alive(false);
        let answer = async {
            let parts = http
                .serve_connection(TokioIo::new(stream), service)
                .without_shutdown()
                .await
                .map_err(std::io::Error::other)?;
            // Whatever the client still sends (a body nobody will read) is read and dropped
            // before closing, so the close does not reset the connection before the client has
            // read its answer.
            let mut stream = parts.io.into_inner();
            stream.shutdown().await?;
            let mut sink = [0u8; 4096];
            let mut drained = 0;
            while drained < TURN_AWAY_DRAIN {
                match stream.read(&mut sink).await? {
                    0 => break,
                    n => drained += n,
                }
            }
            Ok::<_, std::io::Error>(())
        };
        tokio::select! {
            _ = tokio::time::timeout(TURN_AWAY_TIME, answer) => {}
            // Closed to make room for a newer connection. (Dropped unsent once its head is in.)
            Ok(()) = evicted => {}
        }
    });
}

/// The answer of a connection over the limit.
fn busy() -> axum::response::Response {
    use axum::http::{HeaderValue, StatusCode, header};
    let mut response = axum::response::Response::new(axum::body::Body::from(BUSY_PAGE));
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    let headers = response.headers_mut();
    headers.insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}
