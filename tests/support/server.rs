//! The site served over loopback HTTP as `runlens serve` serves it
//! ([`runlens_cli::site_server`]), under a URL prefix (as GitHub Pages serves project
//! sites), recording every request it gets.

use std::path::Path;
use std::sync::{Arc, Mutex};

use runlens_cli::site_server::SiteServer;

/// A running server; stops when dropped.
pub struct StaticServer {
    _server: SiteServer,
    /// Every request's path and query, in order.
    pub requests: Arc<Mutex<Vec<String>>>,
    /// `http://127.0.0.1:PORT`
    pub origin: String,
}

impl StaticServer {
    /// Serves `root` at `http://127.0.0.1:PORT{prefix}` (prefix like `/repo/`, or `/`).
    pub fn start(root: &Path, prefix: &str) -> StaticServer {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&requests);
        let server = SiteServer::start(
            "127.0.0.1:0".parse().expect("a loopback address"),
            root,
            prefix,
            Some(Box::new(move |uri| {
                log.lock().expect("requests lock").push(uri.to_string())
            })),
        )
        .expect("serve the site on loopback");
        StaticServer {
            origin: format!("http://{}", server.address()),
            _server: server,
            requests,
        }
    }

    /// Request paths received so far.
    pub fn seen(&self) -> Vec<String> {
        self.requests.lock().expect("requests lock").clone()
    }
}
