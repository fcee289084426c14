//! DVC experiments: each `Live.end()` in a git + DVC repository stores the run as a commit
//! under `refs/exps/<baseline sha[0:2]>/<baseline sha[2:]>/<name>`, whose tree holds the
//! Live folder(s) and the `dvc.yaml` listing them. Refs and objects (loose or packed) are
//! read with gix, without running git and without touching the work tree.

use std::fs;
use std::path::{Component, Path, PathBuf};

use gix::ObjectId;
use runlens_core::Run;
use serde_norway::Value as Yaml;

use super::live::{self, Files, LiveFile, METRICS, PARAMS, PLOTS_METRICS};
use crate::error::ReadError;
use crate::reader::ReadOutput;

/// Tags the reader sets on a run read from an experiment commit.
pub const TAG_PREFIX: &str = "dvc.";

/// The first line DVC writes when `exp_message` is not given: not worth a note.
const DEFAULT_MESSAGE: &str = "dvc: commit experiment ";

/// One `refs/exps/...` reference.
#[derive(Debug, Clone, PartialEq)]
struct ExpRef {
    /// The full reference name.
    full: String,
    /// The experiment's name (its last part).
    name: String,
    /// The baseline commit, hex.
    baseline: String,
    /// The experiment commit.
    commit: ObjectId,
}

/// Splits `refs/exps/<aa>/<rest>/<name>` into baseline and name; DVC's own working refs
/// (`refs/exps/exec/EXEC_HEAD`, `refs/exps/celery/...`) do not have that shape.
fn parse_ref(full: &str) -> Option<(String, String)> {
    let rest = full.strip_prefix("refs/exps/")?;
    let mut parts = rest.splitn(3, '/');
    let (head, tail, name) = (parts.next()?, parts.next()?, parts.next()?);
    let hex = |s: &str| s.bytes().all(|b| b.is_ascii_hexdigit());
    let baseline = format!("{head}{tail}");
    let ok = head.len() == 2
        && hex(head)
        && hex(tail)
        && matches!(baseline.len(), 40 | 64)
        && !name.is_empty();
    ok.then(|| (baseline, name.to_string()))
}

/// The experiment refs of `repo`, sorted by name.
fn experiment_refs(repo: &gix::Repository) -> Result<Vec<ExpRef>, gix::Error> {
    let mut refs = Vec::new();
    let platform = repo.references()?;
    for reference in platform.prefixed("refs/exps/")? {
        let reference = reference?;
        let full = reference.name().as_bstr().to_string();
        let (Some((baseline, name)), Some(id)) = (parse_ref(&full), reference.try_id()) else {
            continue;
        };
        refs.push(ExpRef {
            full,
            name,
            baseline,
            commit: id.detach(),
        });
    }
    refs.sort_by(|a, b| a.full.cmp(&b.full));
    Ok(refs)
}

/// A relative path joined with `/`, without `.` parts; `None` when it leaves its folder.
fn clean(path: &str) -> Option<String> {
    let mut parts = Vec::new();
    for component in Path::new(path).components() {
        match component {
            Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(parts.join("/"))
}

/// The Live folders a `dvc.yaml` lists (relative to its folder, `""` for the folder itself):
/// the folders of its top-level `metrics` and `params` files and of its `plots` entries,
/// as DVCLive writes them.
pub fn listed_live_dirs(yaml: &[u8]) -> Result<Vec<String>, String> {
    let value: Yaml = serde_norway::from_slice(yaml).map_err(|e| e.to_string())?;
    let mut dirs = Vec::new();
    for key in ["metrics", "params", "plots"] {
        let Some(Yaml::Sequence(items)) = value.get(key) else {
            continue;
        };
        for item in items {
            let path = match item {
                Yaml::String(path) => Some(path.as_str()),
                Yaml::Mapping(map) if map.len() == 1 => map.keys().next().and_then(Yaml::as_str),
                _ => None,
            };
            if let Some(dir) = path.and_then(clean).and_then(|p| live_dir_of(&p)) {
                dirs.push(dir);
            }
        }
    }
    dirs.sort();
    dirs.dedup();
    Ok(dirs)
}

/// The Live folder a listed file belongs to.
fn live_dir_of(path: &str) -> Option<String> {
    for file in [METRICS, PARAMS] {
        if path == file {
            return Some(String::new());
        }
        if let Some(dir) = path.strip_suffix(&format!("/{file}")) {
            return Some(dir.to_string());
        }
    }
    if let Some(rest) = path.strip_prefix("plots/")
        && !rest.is_empty()
    {
        return Some(String::new());
    }
    path.find("/plots/").map(|at| path[..at].to_string())
}

fn join(dir: &str, rest: &str) -> String {
    match (dir.is_empty(), rest.is_empty()) {
        (true, _) => rest.to_string(),
        (_, true) => dir.to_string(),
        _ => format!("{dir}/{rest}"),
    }
}

/// Reads the experiments of the repository holding the `dvc.yaml` at `dvc_yaml`: every
/// experiment commit whose tree has a `dvc.yaml` at the same place gives a run per Live
/// folder that dvc.yaml lists. Nothing is read outside a git work tree.
pub fn read(dvc_yaml: &Path, experiment: &str, out: &mut ReadOutput) -> Result<(), ReadError> {
    let dir = match dvc_yaml.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let canonical = fs::canonicalize(dir).map_err(|e| ReadError::io(dir, e))?;
    let Some(work_tree) = canonical.ancestors().find(|d| d.join(".git").exists()) else {
        return Ok(());
    };
    let git = work_tree.join(".git");
    let repo = match gix::open_opts(work_tree, gix::open::Options::isolated()) {
        Ok(repo) => repo,
        Err(e) => {
            out.warn_at(
                &git,
                None,
                format!(
                    "not a git repository runlens can read ({e}); its DVC experiments are not read"
                ),
            );
            return Ok(());
        }
    };
    let refs = match experiment_refs(&repo) {
        Ok(refs) => refs,
        Err(e) => {
            out.warn_at(
                &git,
                None,
                format!("the references cannot be listed ({e}); its DVC experiments are not read"),
            );
            return Ok(());
        }
    };
    let Some(rel) = canonical
        .strip_prefix(work_tree)
        .ok()
        .and_then(|p| clean(&p.to_string_lossy()))
    else {
        return Ok(());
    };
    let context = Context {
        repo: &repo,
        rel: &rel,
        shown: dir,
        experiment,
    };
    for exp in &refs {
        // The same name under two baselines would be one run: tell them apart.
        let reused = refs.iter().filter(|r| r.name == exp.name).count() > 1;
        let id = if reused {
            format!("{}@{}", exp.name, &exp.baseline[..7])
        } else {
            exp.name.clone()
        };
        if let Err(e) = context.experiment_runs(exp, &id, out) {
            out.warn_at(
                &git,
                None,
                format!(
                    "experiment {} ({}) cannot be read: {e}; skipped",
                    exp.name, exp.full
                ),
            );
        }
    }
    Ok(())
}

/// What the runs of one `dvc.yaml`'s experiments share.
struct Context<'a> {
    repo: &'a gix::Repository,
    /// The `dvc.yaml`'s folder relative to the work tree.
    rel: &'a str,
    /// The same folder as walked, for warnings.
    shown: &'a Path,
    /// The runlens experiment of the runs.
    experiment: &'a str,
}

impl Context<'_> {
    /// Adds the runs of one experiment commit.
    fn experiment_runs(
        &self,
        exp: &ExpRef,
        id: &str,
        out: &mut ReadOutput,
    ) -> Result<(), gix::Error> {
        let commit = self.repo.find_commit(exp.commit)?;
        let tree = commit.tree()?;
        let Some(entry) = tree.lookup_entry_by_path(join(self.rel, "dvc.yaml"))? else {
            // An experiment of another project in the same repository.
            return Ok(());
        };
        let yaml = self.repo.find_blob(entry.object_id())?.take_data();
        let listed = match listed_live_dirs(&yaml) {
            Ok(listed) => listed,
            Err(e) => {
                out.warn_at(
                    &self.shown_path("dvc.yaml", &exp.name),
                    None,
                    format!("not valid YAML ({e}); the experiment's Live folders are not known, experiment skipped"),
                );
                return Ok(());
            }
        };
        let mut lives = Vec::new();
        for live in listed {
            let path = join(self.rel, &live);
            let folder = if path.is_empty() {
                Some(tree.id)
            } else {
                tree.lookup_entry_by_path(&path)?
                    .filter(|e| e.mode().is_tree())
                    .map(|e| e.object_id())
            };
            if let Some(folder) = folder
                && self.is_live_tree(folder, !live.is_empty())?
            {
                lives.push((live, folder));
            }
        }
        let message = commit.message_raw_sloppy().to_string();
        let message = message.trim();
        let time = commit.time()?.seconds as f64;
        let several = lives.len() > 1;
        for (live, folder) in lives {
            let run_id = if several {
                format!("{id}/{}", if live.is_empty() { "." } else { &live })
            } else {
                id.to_string()
            };
            let mut run = Run {
                id: run_id.clone(),
                name: run_id,
                experiment: Some(self.experiment.to_string()),
                start_time: Some(time),
                notes: (!message.is_empty() && !message.starts_with(DEFAULT_MESSAGE))
                    .then(|| message.to_string()),
                ..Run::default()
            };
            let tags = [
                ("commit", exp.commit.to_string()),
                ("baseline", exp.baseline.clone()),
                ("ref", exp.full.clone()),
            ];
            for (name, value) in tags {
                run.tags.insert(format!("{TAG_PREFIX}{name}"), value);
            }
            let mut files = TreeFiles {
                repo: self.repo,
                tree: folder,
                ids: Vec::new(),
                shown: self.shown.join(&live),
                exp: exp.name.clone(),
            };
            let run = live::read(&mut files, run, out);
            out.add_run(run);
        }
        Ok(())
    }

    /// Whether the tree `folder` looks like a Live folder: a `metrics.json` or
    /// `plots/metrics`, or (for a folder other than the dvc.yaml's own) a `params.yaml`.
    fn is_live_tree(&self, folder: ObjectId, params_suffice: bool) -> Result<bool, gix::Error> {
        let tree = self.repo.find_tree(folder)?;
        let has = |path: &str| tree.lookup_entry_by_path(path).map(|e| e.is_some());
        Ok(has(METRICS)? || has(PLOTS_METRICS)? || (params_suffice && has(PARAMS)?))
    }

    fn shown_path(&self, rel: &str, exp: &str) -> PathBuf {
        PathBuf::from(format!("{}@{exp}", self.shown.join(rel).display()))
    }
}

/// A Live folder in an experiment commit.
struct TreeFiles<'r> {
    repo: &'r gix::Repository,
    tree: ObjectId,
    /// The blob of each listed file, by [`LiveFile::handle`].
    ids: Vec<ObjectId>,
    /// The folder as it would be in the work tree, for warnings.
    shown: PathBuf,
    /// The experiment's name, for warnings.
    exp: String,
}

impl TreeFiles<'_> {
    fn walk(
        &mut self,
        tree: ObjectId,
        prefix: &str,
        files: &mut Vec<LiveFile>,
    ) -> Result<(), gix::Error> {
        let tree = self.repo.find_tree(tree)?;
        let mut subtrees = Vec::new();
        for entry in tree.iter() {
            let entry = entry?;
            let name = entry.inner.filename.to_string();
            if name.starts_with('.') {
                continue;
            }
            let path = join(prefix, &name);
            let mode = entry.inner.mode;
            let id = entry.inner.oid.to_owned();
            if mode.is_tree() {
                subtrees.push((id, path));
            } else if mode.is_blob() || mode.is_executable() {
                let size = self.repo.find_header(id)?.size();
                files.push(LiveFile {
                    path,
                    size,
                    handle: self.ids.len(),
                });
                self.ids.push(id);
            }
            if files.len() > crate::mlflow::artifacts::MAX_LISTED {
                return Ok(());
            }
        }
        for (id, path) in subtrees {
            self.walk(id, &path, files)?;
        }
        Ok(())
    }
}

impl Files for TreeFiles<'_> {
    fn list(&mut self, out: &mut ReadOutput) -> Vec<LiveFile> {
        let mut files = Vec::new();
        if let Err(e) = self.walk(self.tree, "", &mut files) {
            out.warn_at(
                &self.shown(""),
                None,
                format!("the experiment's files cannot all be listed ({e}); the rest is read"),
            );
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        files
    }

    fn read(&self, file: &LiveFile) -> Result<Vec<u8>, String> {
        let id = self.ids.get(file.handle).ok_or("not listed")?;
        self.repo
            .find_blob(*id)
            .map(|mut blob| blob.take_data())
            .map_err(|e| e.to_string())
    }

    fn shown(&self, rel: &str) -> PathBuf {
        let path = if rel.is_empty() {
            self.shown.clone()
        } else {
            self.shown.join(rel)
        };
        PathBuf::from(format!("{}@{}", path.display(), self.exp))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_experiment_refs_of_the_dvc_shape_are_taken() {
        let base = "0c563cb4963a7473897bff0bd62245e14741d9c5";
        assert_eq!(
            parse_ref(&format!("refs/exps/{}/{}/exp-a", &base[..2], &base[2..])),
            Some((base.to_string(), "exp-a".to_string()))
        );
        assert_eq!(parse_ref("refs/exps/exec/EXEC_HEAD"), None);
        assert_eq!(parse_ref("refs/exps/celery/stash"), None);
        assert_eq!(
            parse_ref(&format!("refs/exps/{}/{}/", &base[..2], &base[2..])),
            None
        );
        assert_eq!(parse_ref("refs/heads/main"), None);
    }

    #[test]
    fn live_folders_come_from_the_listed_files() {
        let yaml = b"params:\n- dvclive/params.yaml\n- runs/a/params.yaml\nmetrics:\n- dvclive/metrics.json\n- ./eval/live/metrics.json\n- ../outside/metrics.json\nplots:\n- dvclive/plots/metrics:\n    x: step\n- other/plots/images\n- plots/sklearn/cm.json:\n    template: confusion\nstages:\n  train:\n    cmd: python train.py\n";
        assert_eq!(
            listed_live_dirs(yaml).unwrap(),
            ["", "dvclive", "eval/live", "other", "runs/a"]
        );
        assert!(listed_live_dirs(b"params: [a").is_err());
        assert!(listed_live_dirs(b"stages: {}\n").unwrap().is_empty());
    }
}
