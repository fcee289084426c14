//! HTTP(S) requests to an MLflow tracking server: a blocking `ureq` agent with connect and
//! read timeouts, JSON in and out, and errors that name the URL and say what to check.

use std::io;
use std::time::Duration;

use serde::de::DeserializeOwned;
use ureq::Agent;

use super::api::ErrorBody;

/// How long to wait for a connection (and a host name look-up) before giving up.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long to wait for any one read of an answer (the first byte included): a large page
/// that keeps arriving is not cut off, a server that stops sending is.
pub const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// The largest JSON answer read: a full metric-history page (25,000 points) is about 3 MB as
/// MLflow pretty-prints it.
const MAX_JSON_BYTES: u64 = 256 * 1024 * 1024;

/// How much of an error answer is read for its message.
const MAX_ERROR_BYTES: u64 = 64 * 1024;

/// The timeouts of a [`Client`]; the defaults are [`CONNECT_TIMEOUT`] and [`READ_TIMEOUT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// For connecting (and resolving the host).
    pub connect: Duration,
    /// For each read and write once connected.
    pub read: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: CONNECT_TIMEOUT,
            read: READ_TIMEOUT,
        }
    }
}

/// Why a request failed. Every message names the URL requested.
#[derive(Debug, thiserror::Error)]
pub enum RestError {
    /// Nothing listens at the address.
    #[error(
        "cannot connect to {url}: connection refused (is the server running? start it with \
         `mlflow server --host HOST --port PORT`, or check the host and port)"
    )]
    Refused {
        /// The URL requested.
        url: String,
    },
    /// The connection could not be made for another reason (unknown host, TLS).
    #[error("cannot connect to {url}: {reason}")]
    Connect {
        /// The URL requested.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The server did not answer in time.
    #[error(
        "{url} did not answer within {secs} s ({phase}); is the server overloaded, or is something else listening at this address?"
    )]
    Timeout {
        /// The URL requested.
        url: String,
        /// What was being waited for.
        phase: &'static str,
        /// The timeout that ran out, in seconds.
        secs: f64,
    },
    /// The server answered with an HTTP error status.
    #[error("{url} answered HTTP {status}{}", status_detail(.code.as_deref(), .message.as_deref()))]
    Status {
        /// The URL requested.
        url: String,
        /// The HTTP status.
        status: u16,
        /// MLflow's `error_code` (`RESOURCE_DOES_NOT_EXIST`, ...), when the body had one.
        code: Option<String>,
        /// MLflow's `message`, or the start of a body that was not MLflow's error JSON.
        message: Option<String>,
    },
    /// The answer was not the JSON expected.
    #[error(
        "{url} did not return the JSON an MLflow tracking server sends ({reason}); is this the address of an MLflow server?"
    )]
    Json {
        /// The URL requested.
        url: String,
        /// The parser's complaint.
        reason: String,
    },
    /// Another transport failure (the connection dropped, an answer too large).
    #[error("request to {url} failed: {reason}")]
    Transport {
        /// The URL requested.
        url: String,
        /// What went wrong.
        reason: String,
    },
}

impl RestError {
    /// Whether the server could not be reached or stopped answering: further requests
    /// would fail the same way, so the read stops instead of warning about every run.
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            RestError::Refused { .. } | RestError::Connect { .. } | RestError::Timeout { .. }
        )
    }
}

fn status_detail(code: Option<&str>, message: Option<&str>) -> String {
    match (code, message) {
        (Some(code), Some(message)) => format!(": {code}: {message}"),
        (Some(text), None) | (None, Some(text)) => format!(": {text}"),
        (None, None) => String::new(),
    }
}

/// A connection to one tracking server (its base URL, without the `/api/...` part).
pub struct Client {
    agent: Agent,
    base: String,
    timeouts: Timeouts,
}

impl Client {
    /// A client for the server at `base` (`http://127.0.0.1:5000`, a trailing `/` allowed).
    pub fn new(base: &str, timeouts: Timeouts) -> Self {
        let agent: Agent = Agent::config_builder()
            .http_status_as_error(false)
            .timeout_resolve(Some(timeouts.connect))
            .timeout_connect(Some(timeouts.connect))
            .timeout_recv_response(Some(timeouts.read))
            .timeout_per_read(Some(timeouts.read))
            .timeout_per_write(Some(timeouts.read))
            .user_agent(concat!("runlens/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Self {
            agent,
            base: base.trim_end_matches('/').to_string(),
            timeouts,
        }
    }

    /// The full URL of an endpoint (`/api/2.0/mlflow/...`).
    pub fn url(&self, endpoint: &str) -> String {
        format!("{}{endpoint}", self.base)
    }

    /// `POST`s `body` as JSON and parses the answer.
    pub fn post_json<T: DeserializeOwned>(
        &self,
        endpoint: &str,
        body: &serde_json::Value,
    ) -> Result<T, RestError> {
        let url = self.url(endpoint);
        let response = self
            .agent
            .post(&url)
            .header("Content-Type", "application/json")
            .send(body.to_string())
            .map_err(|e| self.failed(&url, e))?;
        let bytes = self.body(&url, response, MAX_JSON_BYTES)?;
        parse(&url, &bytes)
    }

    /// `GET`s `endpoint` with the query parameters and parses the JSON answer.
    pub fn get_json<T: DeserializeOwned>(
        &self,
        endpoint: &str,
        query: &[(&str, &str)],
    ) -> Result<T, RestError> {
        let bytes = self.get_bytes(endpoint, query, MAX_JSON_BYTES)?;
        parse(&self.url(endpoint), &bytes)
    }

    /// `GET`s `endpoint` and returns at most `limit` bytes of the body (more is an error).
    pub fn get_bytes(
        &self,
        endpoint: &str,
        query: &[(&str, &str)],
        limit: u64,
    ) -> Result<Vec<u8>, RestError> {
        let url = self.url(endpoint);
        let mut request = self.agent.get(&url);
        for (key, value) in query {
            request = request.query(key, value);
        }
        let response = request.call().map_err(|e| self.failed(&url, e))?;
        self.body(&url, response, limit)
    }

    /// The body of a successful answer, or the error an unsuccessful one means.
    fn body(
        &self,
        url: &str,
        mut response: ureq::http::Response<ureq::Body>,
        limit: u64,
    ) -> Result<Vec<u8>, RestError> {
        let status = response.status();
        if !status.is_success() {
            let body = response
                .body_mut()
                .with_config()
                .limit(MAX_ERROR_BYTES)
                .read_to_vec()
                .unwrap_or_default();
            return Err(status_error(url, status, &body));
        }
        response
            .body_mut()
            .with_config()
            .limit(limit)
            .read_to_vec()
            .map_err(|e| self.failed(url, e))
    }

    /// Turns a transport error into a [`RestError`] naming `url`.
    fn failed(&self, url: &str, error: ureq::Error) -> RestError {
        let url = url.to_string();
        let timeout = |phase, limit: Duration| RestError::Timeout {
            url: url.clone(),
            phase,
            secs: limit.as_secs_f64(),
        };
        match error {
            ureq::Error::Io(e) => match e.kind() {
                io::ErrorKind::ConnectionRefused => RestError::Refused { url },
                io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
                    timeout("waiting for data", self.timeouts.read)
                }
                _ => RestError::Transport {
                    url,
                    reason: e.to_string(),
                },
            },
            ureq::Error::Timeout(which) => {
                use ureq::Timeout as T;
                match which {
                    T::Resolve => timeout("looking up the host", self.timeouts.connect),
                    T::Connect => timeout("connecting", self.timeouts.connect),
                    T::RecvResponse => timeout("waiting for the answer", self.timeouts.read),
                    T::RecvBody | T::PerRead => timeout("reading the answer", self.timeouts.read),
                    _ => timeout("sending the request", self.timeouts.read),
                }
            }
            ureq::Error::HostNotFound => RestError::Connect {
                url,
                reason: "host not found".into(),
            },
            ureq::Error::ConnectionFailed => RestError::Connect {
                url,
                reason: "the connection failed".into(),
            },
            e @ (ureq::Error::Tls(_) | ureq::Error::Rustls(_) | ureq::Error::Pem(_)) => {
                RestError::Connect {
                    url,
                    reason: format!("TLS: {e}"),
                }
            }
            ureq::Error::BodyExceedsLimit(limit) => RestError::Transport {
                url,
                reason: format!("the answer is larger than {limit} bytes"),
            },
            e => RestError::Transport {
                url,
                reason: e.to_string(),
            },
        }
    }
}

/// The error of an answer with a failure status: MLflow's `error_code` and `message` when
/// the body is its error JSON, else the start of the body as one line.
fn status_error(url: &str, status: ureq::http::StatusCode, body: &[u8]) -> RestError {
    let (code, message) = match serde_json::from_slice::<ErrorBody>(body) {
        Ok(e) if e.error_code.is_some() || e.message.is_some() => (e.error_code, e.message),
        _ => {
            let snippet = body_snippet(body);
            let reason = status.canonical_reason().map(str::to_string);
            let message = match (reason, snippet.is_empty()) {
                (Some(reason), true) => Some(reason),
                (Some(reason), false) => Some(format!("{reason} ({snippet})")),
                (None, false) => Some(snippet),
                (None, true) => None,
            };
            (None, message)
        }
    };
    RestError::Status {
        url: url.to_string(),
        status: status.as_u16(),
        code,
        message,
    }
}

/// A body that is not MLflow's error JSON, in a few words: an HTML page's title, else the
/// start of the text on one line.
fn body_snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let lower = text.to_ascii_lowercase();
    if let Some(start) = lower.find("<title>")
        && let Some(len) = lower[start + 7..].find("</title>")
    {
        return format!("an HTML page: {}", text[start + 7..start + 7 + len].trim());
    }
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut snippet: String = line.chars().take(120).collect();
    if snippet.len() < line.len() {
        snippet.push('…');
    }
    snippet
}

fn parse<T: DeserializeOwned>(url: &str, bytes: &[u8]) -> Result<T, RestError> {
    serde_json::from_slice(bytes).map_err(|e| RestError::Json {
        url: url.to_string(),
        reason: e.to_string(),
    })
}
