//! The server over raw sockets, as browsers use it: kept-alive connections opened in a
//! burst, HEAD and other methods, a sub-path, paths that try to leave the site, and
//! requests held while the site is replaced.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::*;

fn site() -> tempfile::TempDir {
    let site = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(site.path().join("data")).unwrap();
    std::fs::write(site.path().join("index.html"), "<p>home</p>").unwrap();
    std::fs::write(site.path().join("data/index.rlb"), "bundle").unwrap();
    site
}

fn start(root: &Path, prefix: &str, on_request: Option<RequestHook>) -> SiteServer {
    SiteServer::start("127.0.0.1:0".parse().unwrap(), root, prefix, on_request).unwrap()
}

/// Sends one kept-alive request on `stream`, in one write (as browsers do).
fn send(stream: &mut TcpStream, method: &str, path: &str) {
    let request =
        format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n");
    stream.write_all(request.as_bytes()).unwrap();
}

/// `(status, headers, body)` of the next answer on `stream` (a `Content-Length` body).
fn answer(stream: &mut TcpStream, method: &str) -> (u16, String, Vec<u8>) {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut raw = Vec::new();
    let mut byte = [0u8; 1];
    while !raw.ends_with(b"\r\n\r\n") {
        let read = stream
            .read(&mut byte)
            .unwrap_or_else(|e| panic!("no answer to a {method}: {e}"));
        assert_eq!(read, 1, "the connection closed before the headers ended");
        raw.push(byte[0]);
    }
    let head = String::from_utf8(raw).unwrap().to_ascii_lowercase();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map_or(0, |n| n.trim().parse().unwrap());
    let mut body = vec![0; if method == "HEAD" { 0 } else { length }];
    stream.read_exact(&mut body).unwrap();
    (status, head, body)
}

fn get(server: &SiteServer, path: &str) -> (u16, String, Vec<u8>) {
    let mut stream = TcpStream::connect(server.address()).unwrap();
    send(&mut stream, "GET", path);
    answer(&mut stream, "GET")
}

#[test]
fn urls_map_inside_the_site_only() {
    let site = site();
    let root = site.path();
    let home = Some(root.join("index.html"));
    assert_eq!(file_for(root, "/", "/"), home);
    assert_eq!(
        file_for(root, "/", "/data/index.rlb"),
        Some(root.join("data/index.rlb"))
    );
    assert_eq!(
        file_for(root, "/", "/data%2Findex.rlb"),
        Some(root.join("data/index.rlb"))
    );
    assert_eq!(file_for(root, "/repo/", "/repo/"), home);
    assert_eq!(file_for(root, "/repo/", "/repo"), home);
    assert_eq!(file_for(root, "/repo/", "/index.html"), None);
    assert_eq!(file_for(root, "/repo/", "/repository/index.html"), None);
    assert_eq!(file_for(root, "/", "/../etc/passwd"), None);
    assert_eq!(file_for(root, "/", "//etc/passwd"), None);
    assert_eq!(file_for(root, "/", "/data/%2e%2e/%2e%2e/etc/passwd"), None);
    assert_eq!(file_for(root, "/", "/missing.js"), None);
}

#[test]
fn content_types_let_browsers_run_modules_and_stream_wasm() {
    assert_eq!(content_type(Path::new("a/x.wasm")), "application/wasm");
    assert!(content_type(Path::new("boot.js")).starts_with("text/javascript"));
    assert_eq!(
        content_type(Path::new("data/0.rlb")),
        "application/octet-stream"
    );
}

/// A browser opens several kept-alive connections at once when a page starts; every one
/// is answered while the others stay open. (The thread pool of the server used before
/// left one of five such connections unanswered in about one start in fifty.)
#[test]
fn every_connection_of_a_burst_is_answered_while_the_others_stay_open() {
    let site = site();
    for _ in 0..30 {
        let server = start(site.path(), "/", None);
        let mut connections: Vec<TcpStream> = (0..12)
            .map(|_| TcpStream::connect(server.address()).unwrap())
            .collect();
        for stream in &mut connections {
            send(stream, "GET", "/data/index.rlb");
        }
        for stream in &mut connections {
            let (status, _, body) = answer(stream, "GET");
            assert_eq!((status, body.as_slice()), (200, &b"bundle"[..]));
        }
        // The same connections stay usable.
        for stream in &mut connections {
            send(stream, "GET", "/");
            assert_eq!(answer(stream, "GET").2, b"<p>home</p>");
        }
    }
}

#[test]
fn answers_head_and_refuses_other_methods_and_foreign_paths() {
    let site = site();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let hook: RequestHook = {
        let seen = Arc::clone(&seen);
        Box::new(move |uri: &Uri| seen.lock().unwrap().push(uri.to_string()))
    };
    let server = start(site.path(), "/repo/", Some(hook));

    let (status, head, body) = get(&server, "/repo/?view=x");
    assert_eq!((status, body.as_slice()), (200, &b"<p>home</p>"[..]));
    assert!(
        head.contains("content-type: text/html; charset=utf-8"),
        "{head}"
    );
    assert!(head.contains("cache-control: no-store"), "{head}");

    let mut stream = TcpStream::connect(server.address()).unwrap();
    send(&mut stream, "HEAD", "/repo/data/index.rlb");
    let (status, head, _) = answer(&mut stream, "HEAD");
    assert_eq!(status, 200);
    assert!(head.contains("content-length: 6"), "{head}");
    // No body came: the next answer on the connection starts right away.
    send(&mut stream, "POST", "/repo/data/index.rlb");
    assert_eq!(answer(&mut stream, "POST").0, 405);

    assert_eq!(get(&server, "/data/index.rlb").0, 404, "outside the prefix");
    assert_eq!(get(&server, "/repo/../repo/index.html").0, 404);
    assert_eq!(get(&server, "/repo/missing.js").0, 404);
    assert_eq!(
        *seen.lock().unwrap(),
        [
            "/repo/?view=x",
            "/repo/data/index.rlb",
            "/repo/data/index.rlb",
            "/data/index.rlb",
            "/repo/../repo/index.html",
            "/repo/missing.js"
        ]
    );
}

#[test]
fn requests_wait_while_the_site_is_replaced() {
    let site = site();
    let server = start(site.path(), "/", None);
    let paused = server.pause();
    let mut stream = TcpStream::connect(server.address()).unwrap();
    send(&mut stream, "GET", "/data/index.rlb");
    stream
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut byte = [0u8; 1];
    assert!(
        stream.read(&mut byte).is_err(),
        "no answer while the site is being replaced"
    );
    std::fs::write(site.path().join("data/index.rlb"), "new bundle").unwrap();
    drop(paused);
    let (status, _, body) = answer(&mut stream, "GET");
    assert_eq!((status, body.as_slice()), (200, &b"new bundle"[..]));
}
