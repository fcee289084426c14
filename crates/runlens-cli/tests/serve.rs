//! `runlens serve --watch` as a user runs it: the real binary on a free port, plain HTTP
//! requests, a source file changed on disk, the rebuilt site served.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// Kills the server when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Lines the server prints, read on a thread so a silent server cannot hang the test.
fn lines(stdout: ChildStdout) -> mpsc::Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    receiver
}

fn next_line(lines: &mpsc::Receiver<String>, what: &str) -> String {
    lines
        .recv_timeout(Duration::from_secs(60))
        .unwrap_or_else(|_| panic!("the server did not print {what} within a minute"))
}

/// `(status, body)` of a GET.
fn get(port: u16, path: &str) -> (u16, Vec<u8>) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("response");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("headers end");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    (status, raw[split + 4..].to_vec())
}

fn run_count(port: u16) -> usize {
    let (status, index) = get(port, "/data/index.rlb");
    assert_eq!(status, 200);
    runlens_core::bundle::decode_index(&index)
        .expect("a valid bundle index")
        .names
        .len()
}

#[test]
fn serve_watch_rebuilds_when_a_log_changes() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("runs.jsonl");
    std::fs::write(
        &log,
        "{\"type\":\"run\",\"run\":\"a\",\"status\":\"finished\"}\n",
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_runlens"))
        .args([
            "serve",
            dir.path().to_str().unwrap(),
            "--port",
            "0",
            "--watch",
            // The site inside the watched directory: writing it must not trigger rebuilds.
            "--out",
            dir.path().join("site").to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start runlens serve");
    let lines = lines(child.stdout.take().unwrap());
    let _server = Running(child);

    let built = next_line(&lines, "the build summary");
    assert!(built.contains("1 runs"), "{built}");
    let serving = next_line(&lines, "the URL");
    let port: u16 = serving
        .split("http://127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no URL in {serving:?}"));

    let (status, page) = get(port, "/");
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&page).contains("<title>runlens report</title>"));
    assert_eq!(get(port, "/assets/runlens_web_bg.wasm").0, 200);
    assert_eq!(
        get(port, "/../Cargo.toml").0,
        404,
        "nothing outside the site is served"
    );
    assert_eq!(run_count(port), 1);

    let mut file = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    writeln!(
        file,
        "{{\"type\":\"run\",\"run\":\"b\",\"status\":\"running\"}}"
    )
    .unwrap();
    drop(file);
    let rebuilt = next_line(&lines, "a rebuild after the log changed");
    assert!(rebuilt.contains("2 runs"), "{rebuilt}");
    assert_eq!(run_count(port), 2, "the rebuilt site is served");
    // Writing the site itself does not start another rebuild.
    if let Ok(line) = lines.recv_timeout(Duration::from_secs(2)) {
        panic!("the server rebuilt without a source change: {line}");
    }
}
