//! `runlens serve`: builds the multi-file site and serves it on 127.0.0.1, optionally
//! rebuilding it when the sources change (`--watch`). Requests and rebuilds share one
//! thread, so a request never sees a site being written (the writer swaps whole
//! directories anyway) and all output stays on this command's streams.

use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use anyhow::Context;
use notify_debouncer_mini::notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_mini::{DebounceEventResult, Debouncer, new_debouncer};
use percent_encoding::percent_decode_str;
use tiny_http::{Header, Request, Response, Server, StatusCode};

use crate::args::ServeArgs;
use crate::config::Config;
use crate::output::terminal_safe;

/// How long file changes are gathered before one rebuild.
const DEBOUNCE: Duration = Duration::from_millis(300);
/// How often the request loop looks for source changes.
const POLL: Duration = Duration::from_millis(100);

pub fn run(args: &ServeArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> anyhow::Result<u8> {
    // Keeps a temporary site alive for as long as the server runs.
    let (site, _temporary) = match &args.out {
        Some(dir) => (dir.clone(), None),
        None => {
            let temp = tempfile::Builder::new()
                .prefix("runlens-serve-")
                .tempdir()
                .context("could not create a temporary directory for the site")?;
            (temp.path().join("site"), Some(temp))
        }
    };
    let mut config = super::config(&args.source)?;
    config.theme = args.theme.or(config.theme);
    super::load_pages(&mut config, &args.pages)?;
    let sources = config
        .sources(&args.source.sources)
        .map_err(|e| crate::UsageError(e.to_string()))?;
    rebuild(args, &config, &site, stdout, stderr)?;

    let server = Server::http(("127.0.0.1", args.port)).map_err(|e| {
        anyhow::anyhow!(
            "could not listen on 127.0.0.1:{}: {e}\nhint: choose another port with --port, or --port 0 for any free one",
            args.port
        )
    })?;
    let port = server
        .server_addr()
        .to_ip()
        .map(|a| a.port())
        .unwrap_or(args.port);
    writeln!(
        stdout,
        "serving {} at http://127.0.0.1:{port}/ (Ctrl-C to stop){}",
        terminal_safe(&site.display().to_string()),
        if args.watch {
            "; rebuilding when the sources change"
        } else {
            ""
        }
    )?;
    stdout.flush()?;

    let (_watcher, changes) = if args.watch {
        let (watcher, changes) = watch(&sources, &site)?;
        (Some(watcher), Some(changes))
    } else {
        (None, None)
    };
    let mut built = fingerprint(&sources, &site);
    loop {
        if let Some(request) = server.recv_timeout(POLL).context("the server stopped")? {
            respond(&site, request);
        }
        let Some(changes) = &changes else { continue };
        if !drain(changes) {
            continue;
        }
        // Watchers also report metadata touches and the parent directory of a site being
        // swapped: rebuild only when the sources' files really changed.
        let now = fingerprint(&sources, &site);
        if now == built {
            continue;
        }
        built = now;
        if let Err(error) = rebuild(args, &config, &site, stdout, stderr) {
            // Keep serving the last good site; the next change tries again.
            writeln!(
                stderr,
                "error: rebuild failed, still serving the previous site: {error:#}"
            )?;
        }
    }
}

/// Reads the sources and writes the site (atomically replacing the previous one).
fn rebuild(
    args: &ServeArgs,
    config: &Config,
    site: &Path,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> anyhow::Result<()> {
    let spill_dir = super::build::spill_dir(Some(site));
    let report = super::read_cached(&args.source, config, None, Some(&spill_dir), stderr)?;
    super::check_strict(&args.source, &report)?;
    super::build::warn_if_empty(&report.archive, stderr)?;
    let encoded =
        super::build::encode(&report, &super::build::title(args.title.as_deref(), config))?;
    super::build::warn_about_view(config, &encoded, stderr)?;
    let summary = runlens_site::write_site(&encoded.info(config), &encoded.bundle, site)
        .with_context(|| format!("could not write the site to {}", site.display()))?;
    super::build::print_summary(stdout, &site.display().to_string(), &encoded, &summary)?;
    stdout.flush()?;
    Ok(())
}

/// The watcher (dropping it stops watching) and its channel of change batches.
type Watch = (Debouncer<RecommendedWatcher>, Receiver<()>);

/// Watches every source that is a path (directories recursively; URLs are not watched);
/// each debounced batch of changes is one message on the returned channel. Changes to the
/// site itself (it may live inside a watched directory) and to runlens's staging
/// directories are not changes of the sources.
fn watch(sources: &[PathBuf], site: &Path) -> anyhow::Result<Watch> {
    let site = site.canonicalize().unwrap_or_else(|_| site.to_path_buf());
    let (sender, changes) = mpsc::channel();
    let mut debouncer = new_debouncer(DEBOUNCE, move |result: DebounceEventResult| {
        let Ok(events) = result else { return };
        if events
            .iter()
            .any(|event| is_source_change(&event.path, &site))
        {
            let _ = sender.send(());
        }
    })
    .context("could not start watching the sources")?;
    for source in sources {
        // A URL (an MLflow tracking server, `sqlite:///`) is not a path to watch.
        if source.to_str().is_some_and(|text| text.contains("://")) {
            continue;
        }
        let source = source.canonicalize().unwrap_or_else(|_| source.clone());
        debouncer
            .watcher()
            .watch(&source, RecursiveMode::Recursive)
            .with_context(|| format!("could not watch {}", source.display()))?;
    }
    Ok((debouncer, changes))
}

/// Whether a changed path belongs to the sources rather than to the site runlens writes.
fn is_source_change(path: &Path, site: &Path) -> bool {
    let staging = path.components().any(|c| {
        c.as_os_str()
            .to_str()
            .is_some_and(|name| name.starts_with(".runlens-"))
    });
    !staging && !path.starts_with(site)
}

/// A digest of the names, sizes and modification times of every file under the sources
/// (the site and runlens's staging directories excluded).
fn fingerprint(sources: &[PathBuf], site: &Path) -> u64 {
    let site = site.canonicalize().unwrap_or_else(|_| site.to_path_buf());
    let mut hasher = std::hash::DefaultHasher::new();
    for source in sources {
        let walk = walkdir::WalkDir::new(source)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|entry| {
                let path = entry
                    .path()
                    .canonicalize()
                    .unwrap_or_else(|_| entry.path().to_path_buf());
                is_source_change(&path, &site)
            });
        // Files only: a directory's own time changes whenever the site is swapped in it.
        for entry in walk.flatten().filter(|e| e.file_type().is_file()) {
            let Ok(meta) = entry.metadata() else { continue };
            entry.path().hash(&mut hasher);
            meta.len().hash(&mut hasher);
            meta.modified().ok().hash(&mut hasher);
        }
    }
    hasher.finish()
}

/// Empties the channel; true when anything changed.
fn drain(changes: &Receiver<()>) -> bool {
    let mut changed = false;
    while changes.try_recv().is_ok() {
        changed = true;
    }
    changed
}

/// Answers one request with a file of the site, or 404/405.
fn respond(site: &Path, request: Request) {
    let response = match (request.method(), file_for(site, request.url())) {
        (tiny_http::Method::Get | tiny_http::Method::Head, Some(path)) => {
            match std::fs::read(&path) {
                Ok(bytes) => Response::from_data(bytes)
                    .with_header(header("Content-Type", content_type(&path)))
                    .with_header(header("Cache-Control", "no-store")),
                Err(_) => not_found(),
            }
        }
        (tiny_http::Method::Get | tiny_http::Method::Head, None) => not_found(),
        _ => Response::from_string("method not allowed").with_status_code(StatusCode(405)),
    };
    // A client that went away is not an error of ours.
    let _ = request.respond(response);
}

fn not_found() -> Response<std::io::Cursor<Vec<u8>>> {
    Response::from_string("not found").with_status_code(StatusCode(404))
}

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("static header is valid")
}

/// The file under `site` that `url` names (`index.html` for a directory); `None` for a path
/// that would leave the site or does not exist.
fn file_for(site: &Path, url: &str) -> Option<PathBuf> {
    let path = url.split(['?', '#']).next().unwrap_or("/");
    let decoded = percent_decode_str(path).decode_utf8().ok()?;
    let mut file = site.to_path_buf();
    for component in Path::new(decoded.trim_start_matches('/')).components() {
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
mod tests {
    use super::*;

    #[test]
    fn urls_map_inside_the_site_only() {
        let site = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(site.path().join("data")).unwrap();
        std::fs::write(site.path().join("index.html"), "x").unwrap();
        std::fs::write(site.path().join("data/index.rlb"), "x").unwrap();
        let root = site.path();
        assert_eq!(file_for(root, "/"), Some(root.join("index.html")));
        assert_eq!(file_for(root, "/?view=1#x"), Some(root.join("index.html")));
        assert_eq!(
            file_for(root, "/data/index.rlb"),
            Some(root.join("data/index.rlb"))
        );
        assert_eq!(
            file_for(root, "/data%2Findex.rlb"),
            Some(root.join("data/index.rlb"))
        );
        assert_eq!(file_for(root, "/../etc/passwd"), None);
        assert_eq!(file_for(root, "/data/%2e%2e/%2e%2e/etc/passwd"), None);
        assert_eq!(file_for(root, "/missing.js"), None);
    }

    #[test]
    fn writes_of_the_site_do_not_trigger_rebuilds() {
        let site = Path::new("/logs/site");
        assert!(is_source_change(Path::new("/logs/run.jsonl"), site));
        assert!(!is_source_change(
            Path::new("/logs/site/data/index.rlb"),
            site
        ));
        assert!(!is_source_change(
            Path::new("/logs/.runlens-staging-x1/index.html"),
            site
        ));
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
}
