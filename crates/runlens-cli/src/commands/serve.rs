//! `runlens serve`: builds the multi-file site and serves it on 127.0.0.1
//! ([`crate::site_server`]), optionally rebuilding it when the sources change (`--watch`).
//! Requests wait while a rebuilt site is swapped in, so no page load mixes files of two
//! builds; all output stays on this command's streams.

use std::hash::{Hash, Hasher};
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use anyhow::Context;
use notify_debouncer_mini::notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_mini::{DebounceEventResult, Debouncer, new_debouncer};

use crate::args::ServeArgs;
use crate::config::Config;
use crate::output::terminal_safe;
use crate::site_server::SiteServer;

/// How long file changes are gathered before one rebuild.
const DEBOUNCE: Duration = Duration::from_millis(300);

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
    rebuild(args, &config, &site, None, stdout, stderr)?;

    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
    let server = SiteServer::start(address, &site, "/", None).map_err(|e| {
        anyhow::anyhow!(
            "could not listen on 127.0.0.1:{}: {e}\nhint: choose another port with --port, or --port 0 for any free one",
            args.port
        )
    })?;
    writeln!(
        stdout,
        "serving {} at http://127.0.0.1:{}/ (Ctrl-C to stop){}",
        terminal_safe(&site.display().to_string()),
        server.address().port(),
        if args.watch {
            "; rebuilding when the sources change"
        } else {
            ""
        }
    )?;
    stdout.flush()?;

    if !args.watch {
        // The server answers on its own thread until the process is stopped.
        loop {
            std::thread::park();
        }
    }
    let (_watcher, changes) = watch(&sources, &site)?;
    let mut built = fingerprint(&sources, &site);
    while changes.recv().is_ok() {
        drain(&changes);
        // Watchers also report metadata touches and the parent directory of a site being
        // swapped: rebuild only when the sources' files really changed.
        let now = fingerprint(&sources, &site);
        if now == built {
            continue;
        }
        built = now;
        if let Err(error) = rebuild(args, &config, &site, Some(&server), stdout, stderr) {
            // Keep serving the last good site; the next change tries again.
            writeln!(
                stderr,
                "error: rebuild failed, still serving the previous site: {error:#}"
            )?;
        }
    }
    anyhow::bail!("stopped watching the sources: the file watcher ended")
}

/// Reads the sources and writes the site (atomically replacing the previous one, while
/// `server`'s requests wait).
fn rebuild(
    args: &ServeArgs,
    config: &Config,
    site: &Path,
    server: Option<&SiteServer>,
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
    let paused = server.map(SiteServer::pause);
    let summary = runlens_site::write_site(&encoded.info(config), &encoded.bundle, site)
        .with_context(|| format!("could not write the site to {}", site.display()))?;
    drop(paused);
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

/// Empties the channel: the batches that came while one was handled need no rebuild of
/// their own (the fingerprint tells whether anything changed at all).
fn drain(changes: &Receiver<()>) {
    while changes.try_recv().is_ok() {}
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
