//! `runlens.toml`: a report's settings kept in the repository next to the logs — title,
//! description, sources, the view the page opens with and the size limit. Command-line
//! arguments override it. Unknown keys and wrong types are errors naming the file, line
//! and column (the spec is `docs/config.md`).

use std::path::{Path, PathBuf};

use anyhow::Context;
use bytesize::ByteSize;
use runlens_core::bundle::RunTable;
use runlens_core::group::GroupKey;
use runlens_core::view::InitialView;
use serde::Deserialize;

/// The file looked for in the working directory when `--config` is not given.
pub const DEFAULT_FILE: &str = "runlens.toml";

/// The settings of `runlens.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Title of the report.
    pub title: Option<String>,
    /// A sentence or two under the title.
    pub description: Option<String>,
    /// Files or directories of run logs, relative to the config file.
    #[serde(default)]
    pub sources: Vec<PathBuf>,
    /// The view the page opens with.
    #[serde(default)]
    pub view: InitialView,
    /// Warn when a single-file report is larger than this.
    pub max_size: Option<ByteSize>,
    /// Total bytes of artifacts copied into the report.
    pub max_artifact_bytes: Option<ByteSize>,
    /// Longest text kept whole in a value field.
    pub max_text_bytes: Option<ByteSize>,
    /// Longest text kept whole in a name or key.
    pub max_name_bytes: Option<ByteSize>,
    /// The page's colours: `auto`, `light` or `dark`.
    pub theme: Option<runlens_site::Theme>,
    /// Metric key → `lower` or `higher` is better.
    #[serde(default)]
    pub directions: runlens_core::view::Directions,
    /// Narrative pages (markdown files), relative to the config file.
    #[serde(default)]
    pub pages: Vec<PathBuf>,
    /// The pages read for this build (from `--page`, else `pages`).
    #[serde(skip)]
    pub loaded_pages: Vec<runlens_site::Page>,
    /// The file this came from (for messages and relative paths).
    #[serde(skip)]
    pub path: Option<PathBuf>,
}

impl Config {
    /// Loads `explicit` when given, else `runlens.toml` in the working directory when it
    /// exists, else the empty config.
    pub fn discover(explicit: Option<&Path>) -> anyhow::Result<Config> {
        match explicit {
            Some(path) => Config::load(path),
            None if Path::new(DEFAULT_FILE).is_file() => Config::load(Path::new(DEFAULT_FILE)),
            None => Ok(Config::default()),
        }
    }

    /// Reads and validates one config file.
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("could not read the config file {}", path.display()))?;
        let mut config: Config = toml::from_str(&text).map_err(|e| {
            anyhow::anyhow!(
                "{}: {}\nhint: the keys are described in docs/config.md",
                path.display(),
                e.to_string().trim_end()
            )
        })?;
        if let Some(spec) = &config.view.group
            && GroupKey::parse(spec).is_none()
        {
            anyhow::bail!(
                "{}: [view] group = {spec:?} is not a grouping; use param:<key>, tag:<key>, experiment, group, source, status or parent",
                path.display()
            );
        }
        config.path = Some(path.to_path_buf());
        Ok(config)
    }

    /// The sources to read: those on the command line, else those of the config file
    /// (paths relative to its directory; URLs such as `http://host:5000` as written).
    pub fn sources(&self, command_line: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
        if !command_line.is_empty() {
            return Ok(command_line.to_vec());
        }
        if self.sources.is_empty() {
            anyhow::bail!(
                "no sources: name the files or directories of run logs on the command line, or list them as `sources` in {DEFAULT_FILE}"
            );
        }
        let base = self
            .path
            .as_deref()
            .and_then(Path::parent)
            .unwrap_or(Path::new(""));
        let is_url = |s: &Path| s.to_str().is_some_and(|text| text.contains("://"));
        Ok(self
            .sources
            .iter()
            .map(|s| if is_url(s) { s.clone() } else { base.join(s) })
            .collect())
    }

    /// Problems of the initial view with these runs, as warnings to print: the page would
    /// fall back to its defaults for each.
    pub fn view_problems(&self, table: &RunTable) -> Vec<String> {
        let file = self
            .path
            .as_deref()
            .map_or_else(|| DEFAULT_FILE.to_string(), |p| p.display().to_string());
        let mut problems = Vec::new();
        if let Some(text) = &self.view.filter
            && let Err(error) =
                runlens_core::query::parse(text).and_then(|query| query.check(table))
        {
            problems.push(format!("{file}: [view] filter {text:?}: {error}"));
        }
        if let Some(key) = &self.view.metric
            && table.metric_index(key).is_none()
        {
            problems.push(format!(
                "{file}: [view] metric {key:?} is not logged by any run; the page opens on its default metric"
            ));
        }
        if let Some(weight) = self.view.smoothing
            && !runlens_core::view::SMOOTHING_CHOICES.contains(&weight)
        {
            problems.push(format!(
                "{file}: [view] smoothing = {weight} is not offered ({}); the page opens without smoothing",
                runlens_core::view::SMOOTHING_CHOICES.map(|w| w.to_string()).join(", ")
            ));
        }
        if let Some(window) = self.view.average
            && !runlens_core::view::AVERAGE_CHOICES.contains(&window)
        {
            problems.push(format!(
                "{file}: [view] average = {window} is not offered ({}); the page opens without a moving average",
                runlens_core::view::AVERAGE_CHOICES.map(|w| w.to_string()).join(", ")
            ));
        }
        let keys: Vec<String> = table.metrics.iter().map(|c| c.key.clone()).collect();
        let offered: [(&str, &Option<String>, &[&str]); 3] = [
            (
                "x_axis",
                &self.view.x_axis,
                &runlens_core::view::X_AXIS_CHOICES,
            ),
            ("band", &self.view.band, &runlens_core::view::BAND_CHOICES),
            (
                "centre",
                &self.view.centre,
                &runlens_core::view::CENTRE_CHOICES,
            ),
        ];
        for (key, value, choices) in offered {
            let a_metric = |v: &str| {
                key == "x_axis"
                    && v.strip_prefix("metric:")
                        .is_some_and(|k| keys.iter().any(|known| known == k))
            };
            if let Some(value) = value
                && !choices.contains(&value.as_str())
                && !a_metric(value)
            {
                let also = if key == "x_axis" {
                    " or metric:<a logged metric key>"
                } else {
                    ""
                };
                problems.push(format!(
                    "{file}: [view] {key} = {value:?} is not one of {}{also}; the page opens with {:?}",
                    choices.join(", "),
                    choices[0]
                ));
            }
        }
        for key in self.directions.keys().filter(|k| !keys.contains(k)) {
            problems.push(format!(
                "{file}: [directions] {key:?} is not logged by any run; check the spelling (keys are case-sensitive)"
            ));
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> anyhow::Result<Config> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("runlens.toml");
        std::fs::write(&path, text)?;
        Config::load(&path)
    }

    #[test]
    fn a_full_config_reads() {
        let config = parse(
            "title = \"LR sweep\"\ndescription = \"Which lr?\"\nsources = [\"runs\", \"http://127.0.0.1:5000\"]\nmax_size = \"10MB\"\n\n[view]\nfilter = 'optimizer == \"adam\"'\ngroup = \"param:lr\"\nmetric = \"val/acc\"\nsort = \"metric:val/acc:last\"\ndescending = true\n",
        )
        .unwrap();
        assert_eq!(config.title.as_deref(), Some("LR sweep"));
        assert_eq!(config.view.group.as_deref(), Some("param:lr"));
        assert!(config.view.descending);
        assert_eq!(config.max_size, Some(ByteSize::mb(10)));
        let sources = config.sources(&[]).unwrap();
        assert!(sources[0].ends_with("runs") && sources[0].is_absolute());
        assert_eq!(
            sources[1],
            PathBuf::from("http://127.0.0.1:5000"),
            "a URL as written"
        );
        assert_eq!(
            config.sources(&["cli".into()]).unwrap(),
            vec![PathBuf::from("cli")]
        );
    }

    #[test]
    fn mistakes_name_the_file_and_line() {
        let error = parse("title = \"x\"\n\n[view]\ncolour = \"red\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("runlens.toml") && error.contains("line 4"),
            "{error}"
        );
        assert!(error.contains("colour"), "{error}");
        let error = parse("title = 3\n").unwrap_err().to_string();
        assert!(error.contains("line 1"), "{error}");
        let error = parse("[view]\ngroup = \"lr\"\n").unwrap_err().to_string();
        assert!(error.contains("not a grouping"), "{error}");
        let error = Config::default().sources(&[]).unwrap_err().to_string();
        assert!(error.contains("no sources"), "{error}");
    }
}
