//! Accounts and sign-in: argon2id password hashes, sessions with a CSRF token each, and sign-in
//! limits that slow an attacker without locking the owner out.
//!
//! A session token is 32 random bytes, given to the browser once and stored only as its SHA-256,
//! so a copy of the database signs nobody in. A new token is made at every sign-in.
//!
//! Sign-in limits. Every attempt is noted (as a failure) *before* its password is checked, in the
//! same atomic step that checks the counts ([`Store::reserve_sign_in_attempt`]), so a burst of
//! simultaneous attempts cannot all see a count under the limit; a success takes its note back.
//! Which counts judge an attempt depends on where it comes from:
//!
//! - from a *known device* (a browser holding a device cookie from an earlier sign-in to this
//!   account): only that device's own failures, [`MAX_FAILURES_PER_DEVICE`] in the window. What
//!   others do from any address never locks the owner's own browser out.
//! - from anywhere else: the failures of this account from this address
//!   ([`MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS`]), of this address across accounts
//!   ([`MAX_FAILURES_PER_ADDRESS`], not applied when the account signed in from this address
//!   before), and of this account from unknown devices everywhere ([`MAX_FAILURES_PER_ACCOUNT`]).
//!
//! Password hashing is bounded: every argon2 hash and verification runs through a [`HashGate`]
//! (a few at once, each holding 19 MiB), and an attempt that cannot get its turn in time is
//! answered "busy" and counts as no attempt.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use chrono::{DateTime, Duration, Utc};
use dateline_domain::store::{ReservationOutcome, SignInLimit, SignInReservation};
use dateline_domain::{
    Email, InvalidValue, NewUser, Role, Session, Store, StoreError, User, UserId,
};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use crate::{ServiceError, SignInRefusal};

/// How long a session lasts after sign-in.
pub const SESSION_LIFETIME: Duration = Duration::hours(12);
/// The window in which failed sign-ins are counted.
pub const FAILURE_WINDOW: Duration = Duration::minutes(15);
/// Failed sign-ins to one account from one address (on a device not known to the account) within
/// the window before that pair is refused for the rest of it, even with the right password.
pub const MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS: u64 = 5;
/// Failed sign-ins from one address within the window before it is refused for the rest of it,
/// except for accounts that signed in from it before.
pub const MAX_FAILURES_PER_ADDRESS: u64 = 20;
/// Failed sign-ins to one account from devices it does not know, from any address, within the
/// window before unknown devices are refused for the rest of it. Known devices still sign in.
pub const MAX_FAILURES_PER_ACCOUNT: u64 = 50;
/// Failed sign-ins from one known device to its account within the window before that device is
/// refused for the rest of it. Only the device's holder can use this count up.
pub const MAX_FAILURES_PER_DEVICE: u64 = 10;
/// How long a device, or an address, is remembered after the account last signed in from it;
/// also the device cookie's lifetime.
pub const KNOWN_DEVICE_LIFETIME: Duration = Duration::days(90);
/// Shortest and longest password we accept, in characters.
pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 256;
/// Password hashes that run at once in a process, unless a [`HashGate`] says otherwise. Each
/// holds 19 MiB, so hashing never takes more than `HASHING_PERMITS` × 19 MiB.
pub const HASHING_PERMITS: usize = 4;
/// How long a hash waits for its turn before the request is answered "busy".
pub const HASHING_WAIT: std::time::Duration = std::time::Duration::from_secs(5);
/// How many hashes may wait for their turn; past that a request is answered "busy" at once.
pub const HASHING_QUEUE: usize = 64;

/// A password a person chose, checked for length.
pub struct Password(String);

impl Password {
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let n = s.chars().count();
        if n < MIN_PASSWORD_CHARS {
            return Err(InvalidValue::new(
                "password",
                format!("must be at least {MIN_PASSWORD_CHARS} characters long"),
            ));
        }
        if n > MAX_PASSWORD_CHARS {
            return Err(InvalidValue::new(
                "password",
                format!("must be at most {MAX_PASSWORD_CHARS} characters long"),
            ));
        }
        Ok(Self(s.to_owned()))
    }
}

fn argon2() -> Argon2<'static> {
    // OWASP's recommended argon2id settings: 19 MiB, 2 passes, 1 lane.
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

/// A form whose password could not be hashed or checked for want of a turn at the [`HashGate`]
/// is refused like any other problem with the form, and the person tries again; any other
/// error stays as it is.
fn busy_as_problem(e: ServiceError) -> ServiceError {
    match e {
        ServiceError::Busy { retry_after, .. } => InvalidValue::new(
            "password",
            format!(
                "could not be checked: the newsroom is busy. Try again in {} seconds",
                retry_after.as_secs()
            ),
        )
        .into(),
        e => e,
    }
}

/// Bounds password hashing: at most `permits` argon2 runs at once (each holds 19 MiB), a
/// bounded queue, and a bounded wait. A run that has started finishes and frees its permit even
/// if the request that asked for it is gone, so the bound holds under cancelled requests.
///
/// Hashes run on the gate's own `permits` threads rather than on the shared blocking pool: the
/// allocator keeps a freed 19 MiB block in the arena of the thread that used it, so hashes spread
/// over the pool's many threads would leave that much behind on each of them.
pub struct HashGate {
    workers: std::sync::Mutex<std::sync::mpsc::Sender<HashJob>>,
    permits: Arc<Semaphore>,
    size: usize,
    wait: std::time::Duration,
    queue: usize,
    waiting: Arc<AtomicUsize>,
    running: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
    runs: AtomicU64,
}

/// A hash or check, run on one of a gate's threads.
type HashJob = Box<dyn FnOnce() + Send>;

impl std::fmt::Debug for HashGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashGate")
            .field("permits", &self.size)
            .field("wait", &self.wait)
            .field("queue", &self.queue)
            .finish_non_exhaustive()
    }
}

impl HashGate {
    /// A gate letting `permits` hashes (at least one) run at once, `queue` more wait at most
    /// `wait` each.
    pub fn new(permits: usize, wait: std::time::Duration, queue: usize) -> Self {
        let size = permits.max(1);
        let (jobs, queue_of_jobs) = std::sync::mpsc::channel::<HashJob>();
        let queue_of_jobs = Arc::new(std::sync::Mutex::new(queue_of_jobs));
        for n in 0..size {
            let jobs = queue_of_jobs.clone();
            // Without a thread to hash on, every hash answers "busy": nothing is lost.
            let _ = std::thread::Builder::new()
                .name(format!("dateline-hash-{n}"))
                .spawn(move || {
                    lower_priority();
                    loop {
                        let job = jobs.lock().unwrap_or_else(|e| e.into_inner()).recv();
                        match job {
                            // A hash that panics answers "failed"; the thread goes on.
                            Ok(job) => {
                                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                            }
                            // The gate is gone.
                            Err(_) => break,
                        }
                    }
                });
        }
        Self {
            workers: std::sync::Mutex::new(jobs),
            permits: Arc::new(Semaphore::new(size)),
            size,
            wait,
            queue,
            waiting: Arc::default(),
            running: Arc::default(),
            peak: Arc::default(),
            runs: AtomicU64::new(0),
        }
    }

    /// The gate every hash in this process goes through unless it is given another:
    /// [`HASHING_PERMITS`], [`HASHING_WAIT`], [`HASHING_QUEUE`].
    pub fn shared() -> Arc<Self> {
        static SHARED: OnceLock<Arc<HashGate>> = OnceLock::new();
        SHARED
            .get_or_init(|| Arc::new(Self::new(HASHING_PERMITS, HASHING_WAIT, HASHING_QUEUE)))
            .clone()
    }

    /// How many hashes may run at once.
    pub fn permits(&self) -> usize {
        self.size
    }

    /// The most hashes that ever ran at once through this gate.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }

    /// How many hashes and checks this gate let run.
    pub fn runs(&self) -> u64 {
        self.runs.load(Ordering::SeqCst)
    }

    /// How many hashes and checks are running now.
    pub fn running(&self) -> usize {
        self.running.load(Ordering::SeqCst)
    }

    /// How many hashes and checks are waiting for their turn now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }

    /// Runs `work` (a hash or a check) on one of the gate's threads once a permit is free;
    /// [`ServiceError::Busy`] when the queue is full or the wait runs out.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ServiceError> {
        let busy = || {
            let retry_after = self.wait.max(std::time::Duration::from_secs(1));
            ServiceError::Busy {
                message: format!(
                    "The newsroom is busy checking passwords; try again in {} seconds",
                    retry_after.as_secs()
                ),
                retry_after,
            }
        };
        let permit = {
            let _waiting = Waiting::join(&self.waiting, self.queue).ok_or_else(busy)?;
            match tokio::time::timeout(self.wait, self.permits.clone().acquire_owned()).await {
                Ok(Ok(permit)) => permit,
                Ok(Err(_)) | Err(_) => return Err(busy()),
            }
        };
        self.runs.fetch_add(1, Ordering::SeqCst);
        let (running, peak) = (self.running.clone(), self.peak.clone());
        let waiting = self.waiting.clone();
        let (done, result) = tokio::sync::oneshot::channel();
        let job: HashJob = Box::new(move || {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            let out = work();
            // A thread with no hash waiting for it lets its working memory go; while others
            // wait, it is kept for them.
            running.fetch_sub(1, Ordering::SeqCst);
            if waiting.load(Ordering::SeqCst) == 0 {
                release_hash_memory();
            }
            drop(permit);
            let _ = done.send(out);
        });
        self.workers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .send(job)
            // The job goes back with the error; the error itself is kept.
            .map_err(|std::sync::mpsc::SendError(_job)| {
                ServiceError::internal(
                    "no thread to hash passwords on",
                    std::sync::mpsc::SendError(()),
                )
            })?;
        result
            .await
            .map_err(|e| ServiceError::internal("the password hashing thread stopped", e))
    }
}

/// A place in a [`HashGate`]'s queue, given back when dropped (also when the request is).
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn join(count: &'a AtomicUsize, limit: usize) -> Option<Self> {
        let before = count.fetch_add(1, Ordering::SeqCst);
        let place = Self(count);
        (before < limit).then_some(place)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Hashes `password` with argon2id and a fresh salt, through `gate`.
pub async fn hash_password(gate: &HashGate, password: &Password) -> Result<String, ServiceError> {
    let password = password.0.clone();
    gate.run(move || {
        let failed =
            |e: argon2::password_hash::Error| ServiceError::internal("cannot hash a password", e);
        let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>()).map_err(failed)?;
        let params = Params::default();
        let mut salt_buffer = [0u8; 64];
        let salt_bytes = salt
            .as_salt()
            .decode_b64(&mut salt_buffer)
            .map_err(failed)?;
        let output_len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
        let hasher = argon2();
        let output = Output::init_with(output_len, |out| {
            Ok(hash_into(
                &hasher,
                &params,
                password.as_bytes(),
                salt_bytes,
                out,
            )?)
        })
        .map_err(failed)?;
        let hash = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&params).map_err(failed)?,
            salt: Some(salt.as_salt()),
            hash: Some(output),
        };
        Ok(hash.to_string())
    })
    .await?
}

/// Whether `password` matches the stored `hash`, checked through `gate`.
async fn verify_password(
    gate: &HashGate,
    password: &str,
    hash: &str,
) -> Result<bool, ServiceError> {
    let (password, hash) = (password.to_owned(), hash.to_owned());
    gate.run(move || matches_hash(password.as_bytes(), &hash).unwrap_or(false))
        .await
}

/// Whether `password` hashes to the stored PHC string `hash` (compared in constant time).
fn matches_hash(password: &[u8], hash: &str) -> Result<bool, argon2::password_hash::Error> {
    let parsed = PasswordHash::new(hash)?;
    let algorithm = Algorithm::try_from(parsed.algorithm)?;
    let version = parsed
        .version
        .map(Version::try_from)
        .transpose()?
        .unwrap_or_default();
    let params = Params::try_from(&parsed)?;
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return Ok(false);
    };
    let mut salt_buffer = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_buffer)?;
    let hasher = Argon2::new(algorithm, version, params.clone());
    let output = Output::init_with(expected.len(), |out| {
        Ok(hash_into(&hasher, &params, password, salt_bytes, out)?)
    })?;
    Ok(output == expected)
}

/// The most argon2 working memory a stored hash may ask for: 64 MiB (ours ask for 19).
const MAX_HASH_BLOCKS: usize = 64 * 1024;

/// How much lower than the server's own threads a hashing thread runs, as a nice value. Four
/// hashes at once would otherwise take both cores of a small machine from the threads serving
/// pages and the health check; at a lower priority a burst of sign-ins waits for the CPU behind
/// them, and still gets all of it that they leave.
const HASH_NICENESS: i32 = 10;

/// Lowers this thread's CPU priority by [`HASH_NICENESS`]. On Linux a thread's nice value is its
/// own (elsewhere the process's, which a hashing thread must not change).
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{getpriority_process, setpriority_process};
        let me = Some(rustix::thread::gettid());
        let lowered = getpriority_process(me)
            .and_then(|now| setpriority_process(me, (now + HASH_NICENESS).min(19)));
        if let Err(e) = lowered {
            tracing::warn!(error = %e, "cannot lower a hashing thread's priority");
        }
    }
}

thread_local! {
    /// This hashing thread's argon2 working memory, reused while hashes follow one another (a
    /// burst of sign-ins holds a fixed amount of memory however many passwords are checked) and
    /// let go when the gate falls quiet ([`release_hash_memory`]).
    static HASH_MEMORY: std::cell::RefCell<Vec<argon2::Block>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Blocks of address space asked for at least, for argon2's working memory: just over 32 MiB.
/// The server's jemalloc gives a freed block of any size back within seconds; under glibc's
/// malloc (the system allocator, which the library's tests and other programs linking it use) a
/// block this large is mapped afresh and unmapped when freed, where a smaller one would come from
/// the thread's arena once malloc had seen one that size, and stay with the process. Either way
/// the memory goes back to the system when [`release_hash_memory`] lets it go. Only the pages a
/// hash touches (19 MiB) ever become memory.
const MAPPED_BLOCKS: usize = 32 * 1024 + 1;

/// Gives this thread's argon2 working memory back.
fn release_hash_memory() {
    HASH_MEMORY.with(|memory| drop(std::mem::take(&mut *memory.borrow_mut())));
}

/// argon2 of `password` and `salt` into `out`, in this thread's reused working memory.
fn hash_into(
    hasher: &Argon2<'_>,
    params: &Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), argon2::Error> {
    let blocks = params.block_count();
    if blocks > MAX_HASH_BLOCKS {
        return Err(argon2::Error::MemoryTooMuch);
    }
    HASH_MEMORY.with(|memory| {
        let mut memory = memory.borrow_mut();
        if memory.capacity() < blocks {
            *memory = Vec::with_capacity(blocks.max(MAPPED_BLOCKS));
        }
        if memory.len() < blocks {
            memory.resize(blocks, argon2::Block::default());
        }
        hasher.hash_password_into_with_memory(password, salt, out, &mut memory[..blocks])
    })
}

/// Checks the name and creates an account.
pub async fn add_user(
    store: &dyn Store,
    email: &str,
    name: &str,
    role: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<User, ServiceError> {
    let mut problems = Vec::new();
    let email = Email::parse(email).map_err(|e| problems.push(e)).ok();
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        problems.push(InvalidValue::new(
            "name",
            "must be one line of 1 to 100 characters",
        ));
    }
    let role = Role::parse(role).map_err(|e| problems.push(e)).ok();
    let password = Password::parse(password).map_err(|e| problems.push(e)).ok();
    let (Some(email), Some(role), Some(password), true) =
        (email, role, password, problems.is_empty())
    else {
        return Err(ServiceError::Invalid(problems));
    };
    if store.user_credentials(&email).await?.is_some() {
        return Err(InvalidValue::new("email", format!("{email} already has an account")).into());
    }
    let new = NewUser {
        email,
        name: name.to_owned(),
        role,
        password_hash: hash_password(&HashGate::shared(), &password)
            .await
            .map_err(busy_as_problem)?,
        created_at: now,
    };
    match store.insert_user(&new).await {
        Err(StoreError::Conflict(_)) => {
            Err(InvalidValue::new("email", format!("{} already has an account", new.email)).into())
        }
        other => Ok(other?),
    }
}

/// Sets a new password for the account with `email` and signs it out everywhere.
pub async fn reset_password(
    store: &dyn Store,
    email: &str,
    password: &str,
) -> Result<User, ServiceError> {
    let email = Email::parse(email)?;
    let password = Password::parse(password)?;
    let (user, _) = store
        .user_credentials(&email)
        .await?
        .ok_or_else(|| InvalidValue::new("email", format!("no account has the address {email}")))?;
    let hash = hash_password(&HashGate::shared(), &password)
        .await
        .map_err(busy_as_problem)?;
    store.set_password_hash(user.id, &hash, None).await?;
    Ok(user)
}

/// Changes one's own password, which must be given; other sessions of the account end. Both
/// hashes go through `gate`.
pub async fn change_password(
    store: &dyn Store,
    gate: &HashGate,
    user: &User,
    current_session: &Session,
    current: &str,
    new: &str,
    repeated: &str,
) -> Result<(), ServiceError> {
    let (_, hash) = store
        .user_credentials(&user.email)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("account {} vanished", user.id)))?;
    if !verify_password(gate, current, &hash)
        .await
        .map_err(busy_as_problem)?
    {
        return Err(InvalidValue::new("current password", "is not right").into());
    }
    if new != repeated {
        return Err(InvalidValue::new("new password", "the two entries differ").into());
    }
    let password = Password::parse(new)?;
    let hash = hash_password(gate, &password)
        .await
        .map_err(busy_as_problem)?;
    store
        .set_password_hash(user.id, &hash, Some(&current_session.token_hash))
        .await?;
    Ok(())
}

/// A fresh session: the token for the cookie, and what the store keeps.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub token: String,
    pub session: Session,
    pub user: User,
    /// The device cookie's token for this browser from now on: the one it sent when that was
    /// already known to the account, a new one otherwise.
    pub device_token: String,
}

/// The key the sign-in limits count an address under: an IPv4 address as it is; an IPv6
/// address by its /64 network, which one subscriber usually holds whole (an IPv4 address in
/// IPv6 form counts as the IPv4 address).
pub fn address_key(ip: std::net::IpAddr) -> String {
    match ip {
        std::net::IpAddr::V4(v4) => v4.to_string(),
        std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                let network = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
                format!("{network}/64")
            }
        },
    }
}

/// A sign-in as typed, and where it comes from. (No `Debug`: it holds the password.)
#[derive(Clone, Copy)]
pub struct SignInAttempt<'a> {
    pub email: &'a str,
    pub password: &'a str,
    /// The client's address as the limits count it ([`address_key`]).
    pub address: &'a str,
    /// The device cookie's token, when the browser sent one.
    pub device: Option<&'a str>,
}

/// No account has this id; asked about when the e-mail address has no account.
const NO_ACCOUNT: UserId = UserId(-1);

/// The longest e-mail address kept in a limit's scope; longer ones are cut (none is valid).
const MAX_SCOPE_EMAIL: usize = 254;

/// The e-mail address as a limit's scope: control characters (a NUL would be refused by
/// PostgreSQL) dropped, lower case, cut.
fn scope_email(email: &str) -> String {
    dateline_domain::query_text(email)
        .to_lowercase()
        .chars()
        .take(MAX_SCOPE_EMAIL)
        .collect()
}

/// Signs in from `address` on a browser with no device cookie, through the process's shared
/// [`HashGate`]. See [`sign_in_with`].
pub async fn sign_in(
    store: &dyn Store,
    email: &str,
    password: &str,
    address: &str,
    now: DateTime<Utc>,
) -> Result<SignedIn, ServiceError> {
    let attempt = SignInAttempt {
        email,
        password,
        address,
        device: None,
    };
    sign_in_with(store, &HashGate::shared(), &attempt, now).await
}

/// Signs in with e-mail and password, unless the limits that judge this attempt (see the module
/// documentation) are reached. The attempt is noted before the password is checked; a success
/// takes the note back, remembers the device and the address, and starts a new session (any
/// session the browser had is ended by the caller).
pub async fn sign_in_with(
    store: &dyn Store,
    gate: &HashGate,
    attempt: &SignInAttempt<'_>,
    now: DateTime<Utc>,
) -> Result<SignedIn, ServiceError> {
    let since = now - FAILURE_WINDOW;
    let minutes = FAILURE_WINDOW.num_minutes();
    let email = scope_email(attempt.email);
    let address = attempt.address;
    let found = match Email::parse(attempt.email) {
        Ok(email) => store.user_credentials(&email).await?,
        Err(_) => None,
    };
    let device_hash = attempt
        .device
        .filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(token_hash);
    // The same queries whether or not the account exists, so timing does not tell.
    let known = store
        .known_sign_in(
            found.as_ref().map_or(NO_ACCOUNT, |(user, _)| user.id),
            address,
            device_hash.as_deref(),
            now - KNOWN_DEVICE_LIFETIME,
        )
        .await?;
    // Each limit with the refusal it gives; the scopes the attempt is noted under, the first of
    // them its own (the device's, or the account and address pair's), which a success clears.
    let (judged_by, record): (Vec<(SignInLimit, SignInRefusal)>, Vec<String>) =
        match (&found, &device_hash) {
            (Some((user, _)), Some(device)) if known.device => {
                let scope = format!("device:{}:{device}", user.id.0);
                (
                    vec![(
                        SignInLimit {
                            scope: scope.clone(),
                            max: MAX_FAILURES_PER_DEVICE,
                        },
                        SignInRefusal::DeviceLocked { minutes },
                    )],
                    vec![scope],
                )
            }
            _ => {
                let pair = format!("pair:{address} {email}");
                let by_address = format!("address:{address}");
                let account = format!("account:{email}");
                let mut limits = vec![(
                    SignInLimit {
                        scope: pair.clone(),
                        max: MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS,
                    },
                    SignInRefusal::AccountLocked { minutes },
                )];
                if !known.address {
                    limits.push((
                        SignInLimit {
                            scope: by_address.clone(),
                            max: MAX_FAILURES_PER_ADDRESS,
                        },
                        SignInRefusal::AddressLocked { minutes },
                    ));
                }
                limits.push((
                    SignInLimit {
                        scope: account.clone(),
                        max: MAX_FAILURES_PER_ACCOUNT,
                    },
                    SignInRefusal::UnknownDevicesLocked { minutes },
                ));
                (limits, vec![pair, by_address, account])
            }
        };
    let (limits, refusals): (Vec<SignInLimit>, Vec<SignInRefusal>) = judged_by.into_iter().unzip();
    let attempt_id = random_token();
    let reservation = SignInReservation {
        attempt: &attempt_id,
        limits: &limits,
        record: &record,
        since,
        at: now,
    };
    if let ReservationOutcome::Refused(i) = store.reserve_sign_in_attempt(&reservation).await? {
        return Err(match refusals.into_iter().nth(i) {
            Some(refusal) => refusal.into(),
            None => {
                StoreError::Corrupt(format!("sign-in limit {i} of {} refused", limits.len())).into()
            }
        });
    }
    // The attempt is noted; from here on a password check that never ran must not count.
    let checked = match &found {
        Some((_, hash)) => verify_password(gate, attempt.password, hash).await,
        // Spend the same time as a real check, so timing does not tell who has an account.
        None => verify_password(gate, attempt.password, DUMMY_HASH)
            .await
            .map(|_| false),
    };
    let user = match (checked, found) {
        (Ok(true), Some((user, _))) => user,
        (Ok(_), _) => return Err(SignInRefusal::WrongCredentials.into()),
        (Err(e), _) => {
            store.release_sign_in_attempt(&attempt_id).await?;
            return Err(match e {
                ServiceError::Busy { retry_after, .. } => ServiceError::Busy {
                    message: format!(
                        "The newsroom is busy signing people in. Nothing was counted against you; try again in {} seconds.",
                        retry_after.as_secs()
                    ),
                    retry_after,
                },
                e => e,
            });
        }
    };
    store.release_sign_in_attempt(&attempt_id).await?;
    store.clear_sign_in_failures(&record[0]).await?;
    let device_token = match (attempt.device, known.device) {
        (Some(token), true) => token.to_owned(),
        _ => random_token(),
    };
    store
        .remember_sign_in(user.id, address, &token_hash(&device_token), now)
        .await?;
    let token = random_token();
    let session = Session {
        token_hash: token_hash(&token),
        user: user.id,
        csrf_token: random_token(),
        created_at: now,
        expires_at: now + SESSION_LIFETIME,
    };
    store.insert_session(&session).await?;
    Ok(SignedIn {
        token,
        session,
        user,
        device_token,
    })
}

/// An argon2id hash of a password nobody knows, verified against when the account is unknown.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Zk1bFqA0WZ6yS5bJ0y8mQ1Uu4p6m5c8kGm2xJ0b0m9E";

/// The session a cookie's token stands for, if it is current.
pub async fn session(
    store: &dyn Store,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<(Session, User)>, StoreError> {
    if token.is_empty() || token.len() > 128 {
        return Ok(None);
    }
    store.session(&token_hash(token), now).await
}

/// Ends the session a cookie's token stands for.
pub async fn sign_out(
    store: &dyn Store,
    token: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    store.delete_session(&token_hash(token), now).await
}

/// The account with this id, for pages about it.
pub async fn user(store: &dyn Store, id: UserId) -> Result<Option<User>, StoreError> {
    store.user_by_id(id).await
}

/// 32 random bytes as 64 hex digits.
pub fn random_token() -> String {
    rand::random::<[u8; 32]>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Compares two secrets in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_and_verify() {
        let gate = HashGate::shared();
        let hash = hash_password(&gate, &Password::parse("correct horse battery").unwrap())
            .await
            .unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(
            verify_password(&gate, "correct horse battery", &hash)
                .await
                .unwrap()
        );
        assert!(
            !verify_password(&gate, "wrong horse battery", &hash)
                .await
                .unwrap()
        );
        assert!(
            PasswordHash::new(DUMMY_HASH).is_ok(),
            "the dummy hash must parse"
        );
        assert!(
            !verify_password(&gate, "anything", DUMMY_HASH)
                .await
                .unwrap()
        );
    }

    #[test]
    fn addresses_are_counted_by_ipv4_address_or_ipv6_network() {
        let key = |s: &str| address_key(s.parse().unwrap());
        assert_eq!(key("203.0.113.7"), "203.0.113.7");
        assert_eq!(key("::ffff:203.0.113.7"), "203.0.113.7");
        assert_eq!(key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2:bbbb::9"), key("2001:db8:1:2:aaaa::1"));
        assert_ne!(key("2001:db8:1:3::1"), key("2001:db8:1:2::1"));
    }

    #[tokio::test]
    async fn hash_gate_runs_at_most_its_permits_and_answers_busy_past_its_queue() {
        let gate = Arc::new(HashGate::new(2, std::time::Duration::from_secs(30), 3));
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let hold = Arc::new(std::sync::Mutex::new(hold));
        // Two runs take the permits and wait to be released; three more wait in the queue.
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..5 {
            let (gate, hold) = (gate.clone(), hold.clone());
            tasks.spawn(async move {
                gate.run(move || {
                    let _ = hold.lock().unwrap().recv();
                })
                .await
            });
        }
        for _ in 0..1000 {
            if gate.waiting.load(Ordering::SeqCst) == 3 && gate.peak() == 2 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        assert_eq!(
            gate.waiting.load(Ordering::SeqCst),
            3,
            "three wait their turn"
        );
        assert!(
            matches!(gate.run(|| ()).await, Err(ServiceError::Busy { .. })),
            "a sixth finds the queue full"
        );
        for _ in 0..5 {
            release.send(()).unwrap();
        }
        while let Some(done) = tasks.join_next().await {
            assert!(done.unwrap().is_ok());
        }
        assert_eq!(gate.peak(), 2, "never more than the permits at once");
        assert_eq!(gate.runs(), 5);
        assert_eq!(gate.waiting.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn hash_gate_answers_busy_when_the_wait_runs_out() {
        let gate = Arc::new(HashGate::new(1, std::time::Duration::from_millis(50), 8));
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let held = {
            let gate = gate.clone();
            tokio::spawn(async move {
                gate.run(move || {
                    let _ = hold.recv();
                })
                .await
            })
        };
        for _ in 0..1000 {
            if gate.runs() == 1 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let busy = gate.run(|| ()).await;
        assert!(
            matches!(busy, Err(ServiceError::Busy { retry_after, .. }) if retry_after.as_secs() >= 1)
        );
        release.send(()).unwrap();
        held.await.unwrap().unwrap();
        assert!(gate.run(|| ()).await.is_ok(), "free again");
    }

    /// Hashes stored before hashing reused its memory still verify, and ours verify with the
    /// argon2 crate's own checker: the PHC strings are the same.
    #[tokio::test]
    async fn hashes_in_reused_memory_match_the_argon2_crates_own() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let salt = SaltString::encode_b64(b"0123456789abcdef").unwrap();
        let stored = argon2()
            .hash_password(b"correct horse battery", &salt)
            .unwrap()
            .to_string();
        assert!(matches_hash(b"correct horse battery", &stored).unwrap());
        assert!(!matches_hash(b"correct horse batterY", &stored).unwrap());
        let gate = HashGate::new(1, std::time::Duration::from_secs(5), 4);
        let ours = hash_password(&gate, &Password::parse("correct horse battery").unwrap())
            .await
            .unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            argon2()
                .verify_password(b"correct horse battery", &parsed)
                .is_ok()
        );
        assert!(argon2().verify_password(b"wrong", &parsed).is_err());
    }

    #[tokio::test]
    async fn a_quiet_gate_gives_its_hashing_memory_back() {
        // One thread: the check below runs where the hash ran, after it.
        let gate = HashGate::new(1, std::time::Duration::from_secs(5), 4);
        let held = || HASH_MEMORY.with(|memory| memory.borrow().capacity());
        let during = gate
            .run(move || {
                let params = argon2().params().clone();
                let mut out = [0u8; 32];
                hash_into(
                    &argon2(),
                    &params,
                    b"a password",
                    b"0123456789abcdef",
                    &mut out,
                )
                .unwrap();
                held()
            })
            .await
            .unwrap();
        assert!(
            during >= MAPPED_BLOCKS,
            "hashing takes its memory ({during} blocks)"
        );
        let after = gate.run(held).await.unwrap();
        assert_eq!(after, 0, "and gives it back when nothing waits");
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn hashing_threads_run_at_a_lower_priority_than_the_server() {
        use rustix::process::getpriority_process;
        let gate = HashGate::new(1, std::time::Duration::from_secs(5), 4);
        let server = getpriority_process(Some(rustix::thread::gettid())).unwrap();
        let hashing = gate
            .run(|| getpriority_process(Some(rustix::thread::gettid())).unwrap())
            .await
            .unwrap();
        assert_eq!(hashing, (server + HASH_NICENESS).min(19));
        assert_eq!(
            getpriority_process(Some(rustix::thread::gettid())).unwrap(),
            server,
            "the caller's own priority is untouched"
        );
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse("long enough now").is_ok());
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "ab"));
    }
}
