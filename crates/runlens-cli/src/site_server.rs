//! A loopback HTTP server for a written site: `runlens serve` uses it, and the browser
//! tests serve their sites through it.
//!
//! Each connection is served by its own task (hyper on a one-thread tokio runtime), so a
//! browser's burst of kept-alive connections at page start is always answered, however
//! long the other connections stay open. Files are read when asked for, with
//! `Cache-Control: no-store`; a site may be published under a sub-path (`/repo/`, as
//! GitHub Pages serves project sites), and nothing outside the site is ever served.
//! [`SiteServer::pause`] holds requests while the site is being replaced.

use std::convert::Infallible;
use std::net::{SocketAddr, TcpListener};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode, Uri, header};
use hyper_util::rt::TokioIo;
use percent_encoding::percent_decode_str;
use tokio::sync::{RwLock, RwLockWriteGuard, oneshot};

/// Called with every request's URI (path and query), before it is answered.
pub type RequestHook = Box<dyn Fn(&Uri) + Send + Sync>;

/// A running server; it stops (and closes every connection) when dropped.
pub struct SiteServer {
    address: SocketAddr,
    site: Arc<Site>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// What every request's answer needs.
struct Site {
    root: PathBuf,
    prefix: String,
    on_request: Option<RequestHook>,
    /// Read for every answer, written while the site is replaced.
    swapping: RwLock<()>,
}

/// Held while the site is being replaced: requests wait until it is dropped.
pub struct Paused<'a>(#[allow(dead_code)] RwLockWriteGuard<'a, ()>);

impl SiteServer {
    /// Serves the files under `root` at `http://{address}{prefix}` (`prefix` like `/` or
    /// `/repo/`). Port 0 picks a free port; [`SiteServer::address`] tells which.
    pub fn start(
        address: SocketAddr,
        root: &Path,
        prefix: &str,
        on_request: Option<RequestHook>,
    ) -> std::io::Result<SiteServer> {
        let listener = TcpListener::bind(address)?;
        listener.set_nonblocking(true)?;
        let address = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()?;
        let prefix = if prefix.ends_with('/') {
            prefix.to_string()
        } else {
            format!("{prefix}/")
        };
        let site = Arc::new(Site {
            root: root.to_path_buf(),
            prefix,
            on_request,
            swapping: RwLock::new(()),
        });
        let (stop, stopped) = oneshot::channel();
        let thread = {
            let site = Arc::clone(&site);
            std::thread::Builder::new()
                .name("runlens-site-server".into())
                .spawn(move || runtime.block_on(accept(listener, site, stopped)))?
        };
        Ok(SiteServer {
            address,
            site,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The address listened on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Holds every request until the returned guard is dropped (while the site is
    /// replaced, so that no page mixes files of two builds it loads at the same time).
    /// Blocks until the answers being read are done; call it from a plain thread, not
    /// from an async task.
    pub fn pause(&self) -> Paused<'_> {
        Paused(self.site.swapping.blocking_write())
    }
}

impl Drop for SiteServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Accepts connections until `stopped`, each served on its own task; the runtime ends, and
/// with it every connection, when this returns.
async fn accept(listener: TcpListener, site: Arc<Site>, mut stopped: oneshot::Receiver<()>) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    loop {
        let stream = tokio::select! {
            _ = &mut stopped => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // A connection that failed before it was accepted (reset, or out of file
                // descriptors for a moment) is the client's loss, not the server's end.
                Err(_) => continue,
            },
        };
        let site = Arc::clone(&site);
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                let site = Arc::clone(&site);
                async move { Ok::<_, Infallible>(site.answer(&request).await) }
            });
            // A client that goes away mid-answer is not an error of the server's.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

impl Site {
    async fn answer(&self, request: &Request<Incoming>) -> Response<Full<Bytes>> {
        if let Some(hook) = &self.on_request {
            hook(request.uri());
        }
        if !matches!(*request.method(), Method::GET | Method::HEAD) {
            return status(StatusCode::METHOD_NOT_ALLOWED);
        }
        let _not_swapping = self.swapping.read().await;
        let Some(file) = file_for(&self.root, &self.prefix, request.uri().path()) else {
            return status(StatusCode::NOT_FOUND);
        };
        // hyper leaves the body out of the answer to a HEAD.
        match std::fs::read(&file) {
            Ok(bytes) => Response::builder()
                .header(header::CONTENT_TYPE, content_type(&file))
                .header(header::CACHE_CONTROL, "no-store")
                .body(Full::new(Bytes::from(bytes)))
                .unwrap_or_else(|_| status(StatusCode::INTERNAL_SERVER_ERROR)),
            Err(_) => status(StatusCode::NOT_FOUND),
        }
    }
}

fn status(code: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(
        code.canonical_reason().unwrap_or("error"),
    )));
    *response.status_mut() = code;
    response
}

/// The file under `root` that `path` names below `prefix` (`index.html` for a directory);
/// `None` for a path outside the prefix, one that would leave the site, or a missing file.
fn file_for(root: &Path, prefix: &str, path: &str) -> Option<PathBuf> {
    let decoded = percent_decode_str(path).decode_utf8().ok()?;
    let relative = if decoded == prefix.trim_end_matches('/') {
        ""
    } else {
        decoded.strip_prefix(prefix)?
    };
    let mut file = root.to_path_buf();
    for component in Path::new(relative).components() {
        match component {
            Component::Normal(part) => file.push(part),
            Component::CurDir => {}
            _ => return None,
        }
    }
    if file.is_dir() {
        file.push("index.html");
    }
    file.is_file().then_some(file)
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests;
