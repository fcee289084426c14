//! A loopback static file server for the multi-file site, serving a directory under a URL
//! prefix (as GitHub Pages serves project sites) and recording every request it gets.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// A running server; stops when dropped.
pub struct StaticServer {
    server: Arc<tiny_http::Server>,
    thread: Option<JoinHandle<()>>,
    /// Every request path received, in order.
    pub requests: Arc<Mutex<Vec<String>>>,
    /// `http://127.0.0.1:PORT`
    pub origin: String,
}

impl StaticServer {
    /// Serves `root` at `http://127.0.0.1:PORT{prefix}` (prefix like `/repo/`, or `/`).
    pub fn start(root: &Path, prefix: &str) -> StaticServer {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind loopback"));
        let port = server.server_addr().to_ip().expect("ip listener").port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let thread = {
            let server = Arc::clone(&server);
            let requests = Arc::clone(&requests);
            let root = root.to_path_buf();
            let prefix = prefix.to_string();
            std::thread::spawn(move || {
                for request in server.incoming_requests() {
                    let url = request.url().to_string();
                    requests.lock().expect("requests lock").push(url.clone());
                    let response = respond(&root, &prefix, &url);
                    let _ = request.respond(response);
                }
            })
        };
        StaticServer {
            server,
            thread: Some(thread),
            requests,
            origin: format!("http://127.0.0.1:{port}"),
        }
    }

    /// Request paths received so far.
    pub fn seen(&self) -> Vec<String> {
        self.requests.lock().expect("requests lock").clone()
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn respond(root: &Path, prefix: &str, url: &str) -> tiny_http::Response<std::io::Cursor<Vec<u8>>> {
    let path = url.split(['?', '#']).next().unwrap_or("/");
    let Some(relative) = path.strip_prefix(prefix) else {
        return tiny_http::Response::from_string("not found").with_status_code(404);
    };
    let mut file: PathBuf = root.to_path_buf();
    for part in relative.split('/').filter(|p| !p.is_empty()) {
        if part == ".." {
            return tiny_http::Response::from_string("forbidden").with_status_code(403);
        }
        file.push(part);
    }
    if file.is_dir() {
        file.push("index.html");
    }
    match std::fs::read(&file) {
        Ok(bytes) => {
            let mime = match file.extension().and_then(|e| e.to_str()) {
                Some("html") => "text/html; charset=utf-8",
                Some("js") => "text/javascript",
                Some("wasm") => "application/wasm",
                Some("css") => "text/css",
                _ => "application/octet-stream",
            };
            let header = tiny_http::Header::from_bytes("Content-Type", mime).expect("valid header");
            tiny_http::Response::from_data(bytes).with_header(header)
        }
        Err(_) => tiny_http::Response::from_string("not found").with_status_code(404),
    }
}
