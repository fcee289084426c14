//! Size limits on every text field the readers produce: run ids and names, experiment and
//! group names, param, tag and metric keys, artifact paths and dataset names are *names*
//! (at most [`TextLimits::name_bytes`]); param and tag values, logged text, notes, dataset
//! digests, sources and contexts and model registry descriptions are *values* (at most
//! [`TextLimits::value_bytes`]). Longer text is cut at a UTF-8 boundary and ends with a
//! visible marker; each run with a cut field gets a warning listing them, shown in the
//! report. Warning messages are cut to the value limit too (without a warning of their own).

use std::collections::BTreeMap;

use runlens_core::{Archive, ParamValue, RegisteredModel, Run, Warning};

/// Per-field text limits, in bytes of UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextLimits {
    /// Longest name or key kept whole.
    pub name_bytes: usize,
    /// Longest value kept whole.
    pub value_bytes: usize,
}

impl TextLimits {
    /// Default limit of a value: long notes and config dumps fit, a runaway string does not.
    pub const DEFAULT_VALUE_BYTES: usize = 64 * 1024;
    /// Default limit of a name or key.
    pub const DEFAULT_NAME_BYTES: usize = 1024;
}

impl Default for TextLimits {
    fn default() -> Self {
        Self {
            name_bytes: Self::DEFAULT_NAME_BYTES,
            value_bytes: Self::DEFAULT_VALUE_BYTES,
        }
    }
}

/// At most this many runs get a warning of their own; the rest are counted in one more.
const MAX_RUN_WARNINGS: usize = 20;
/// At most this many cut fields are named per warning.
const MAX_FIELDS_NAMED: usize = 10;
/// A key quoted in a warning is shown up to this many bytes.
const QUOTED_BYTES: usize = 60;

/// Cuts `text` to at most `limit` bytes (at a character boundary) and appends the marker
/// `… [N bytes cut]`; returns the original length when it was cut.
pub fn cut(text: &mut String, limit: usize) -> Option<usize> {
    if text.len() <= limit {
        return None;
    }
    let total = text.len();
    let end = floor_boundary(text, limit);
    text.truncate(end);
    text.push_str(&format!("… [{} bytes cut]", total - end));
    Some(total)
}

fn floor_boundary(text: &str, limit: usize) -> usize {
    let mut end = limit.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    end
}

/// A key as a warning quotes it: short, on one line.
fn quote(key: &str) -> String {
    let end = floor_boundary(key, QUOTED_BYTES);
    let shown: String = key[..end]
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if end < key.len() {
        format!("`{shown}…`")
    } else {
        format!("`{shown}`")
    }
}

/// What was cut in one run (or model).
#[derive(Default)]
struct Cuts(Vec<String>);

impl Cuts {
    fn field(&mut self, text: &mut String, limit: usize, what: impl FnOnce() -> String) {
        if let Some(total) = cut(text, limit) {
            self.0.push(format!("{} ({total} bytes)", what()));
        }
    }

    fn option(&mut self, text: &mut Option<String>, limit: usize, what: &str) {
        if let Some(text) = text {
            self.field(text, limit, || what.to_string());
        }
    }

    /// Cuts the keys (names) and, with `value_limit`, the values of a map; a cut key that
    /// meets another key gets ` (2)`, ` (3)`… so no entry is lost.
    fn map(
        &mut self,
        map: &mut BTreeMap<String, String>,
        limits: TextLimits,
        what: &str,
        value_limit: bool,
    ) {
        let long_key = map.keys().any(|k| k.len() > limits.name_bytes);
        if long_key {
            for (key, value) in std::mem::take(map) {
                let key = self.key(key, limits.name_bytes, what, map);
                map.insert(key, value);
            }
        }
        if value_limit {
            for (key, value) in map.iter_mut() {
                self.field(value, limits.value_bytes, || {
                    format!("{what} {} value", quote(key))
                });
            }
        }
    }

    /// `key` cut to `limit`, made unique among the keys of `taken`.
    fn key<V>(
        &mut self,
        mut key: String,
        limit: usize,
        what: &str,
        taken: &BTreeMap<String, V>,
    ) -> String {
        let Some(total) = cut(&mut key, limit) else {
            return key;
        };
        self.0
            .push(format!("{what} key {} ({total} bytes)", quote(&key)));
        let base = key.clone();
        let mut n = 2;
        while taken.contains_key(&key) {
            key = format!("{base} ({n})");
            n += 1;
        }
        key
    }

    /// Cuts the keys of `map` to `limit`.
    fn keys<V>(&mut self, map: &mut BTreeMap<String, V>, limit: usize, what: &str) {
        if map.keys().all(|k| k.len() <= limit) {
            return;
        }
        for (key, value) in std::mem::take(map) {
            let key = self.key(key, limit, what, map);
            map.insert(key, value);
        }
    }
}

/// Applies `limits` to every text field of `archive`, adding a warning per run (and model)
/// with a field cut. Run by [`crate::read_sources`] once every file is read and merged.
pub fn apply(archive: &mut Archive, limits: TextLimits) {
    let mut notes = Vec::new();
    for run in &mut archive.runs {
        let cuts = limit_run(run, limits);
        if !cuts.0.is_empty() {
            notes.push((format!("{} run {}", run.source, quote(&run.id)), cuts));
        }
    }
    for model in &mut archive.models {
        let cuts = limit_model(model, limits);
        if !cuts.0.is_empty() {
            notes.push((
                format!("{} model {}", model.source, quote(&model.name)),
                cuts,
            ));
        }
    }
    for warning in &mut archive.warnings {
        cut(&mut warning.path, limits.value_bytes);
        cut(&mut warning.message, limits.value_bytes);
    }
    let count = notes.len();
    for (what, cuts) in notes.into_iter().take(MAX_RUN_WARNINGS) {
        let mut list = cuts.0;
        let more = list.len().saturating_sub(MAX_FIELDS_NAMED);
        list.truncate(MAX_FIELDS_NAMED);
        let mut message = format!(
            "text longer than the limit (names {} bytes, values {} bytes; --max-name-bytes, --max-text-bytes) was cut: {}",
            limits.name_bytes,
            limits.value_bytes,
            list.join(", ")
        );
        if more > 0 {
            message.push_str(&format!(" and {more} more"));
        }
        archive.warnings.push(Warning::file(what, message));
    }
    if count > MAX_RUN_WARNINGS {
        archive.warnings.push(Warning::file(
            "--max-text-bytes",
            format!(
                "text was cut in {count} runs and models; only the first {MAX_RUN_WARNINGS} are listed"
            ),
        ));
    }
}

fn limit_run(run: &mut Run, limits: TextLimits) -> Cuts {
    let (names, values) = (limits.name_bytes, limits.value_bytes);
    let mut cuts = Cuts::default();
    cuts.field(&mut run.id, names, || "id".into());
    cuts.field(&mut run.name, names, || "name".into());
    cuts.option(&mut run.experiment, names, "experiment");
    cuts.option(&mut run.group, names, "group");
    cuts.option(&mut run.parent_id, names, "parent id");
    cuts.option(&mut run.notes, values, "notes");
    cuts.keys(&mut run.params, names, "param");
    for (key, value) in &mut run.params {
        if let ParamValue::Text(text) = value {
            cuts.field(text, values, || format!("param {} value", quote(key)));
        }
    }
    cuts.map(&mut run.param_text, limits, "param", true);
    cuts.map(&mut run.tags, limits, "tag", true);
    cuts.keys(&mut run.metrics, names, "metric");
    cuts.keys(&mut run.histograms, names, "histogram");
    for artifact in &mut run.artifacts {
        cuts.field(&mut artifact.path, names, || "artifact path".into());
    }
    for dataset in &mut run.datasets {
        cuts.field(&mut dataset.name, names, || "dataset name".into());
        cuts.option(&mut dataset.digest, values, "dataset digest");
        cuts.option(&mut dataset.source, values, "dataset source");
        cuts.option(&mut dataset.context, values, "dataset context");
    }
    cuts
}

fn limit_model(model: &mut RegisteredModel, limits: TextLimits) -> Cuts {
    let (names, values) = (limits.name_bytes, limits.value_bytes);
    let mut cuts = Cuts::default();
    cuts.field(&mut model.name, names, || "name".into());
    cuts.option(&mut model.description, values, "description");
    cuts.map(&mut model.tags, limits, "tag", true);
    for version in &mut model.versions {
        cuts.field(&mut version.version, names, || "version".into());
        cuts.option(&mut version.run_id, names, "version run id");
        cuts.option(&mut version.stage, names, "version stage");
        cuts.option(&mut version.description, values, "version description");
        cuts.option(&mut version.status, names, "version status");
        cuts.option(&mut version.model_source, values, "version source");
        for alias in &mut version.aliases {
            cuts.field(alias, names, || "version alias".into());
        }
        cuts.map(&mut version.tags, limits, "version tag", true);
    }
    cuts
}

#[cfg(test)]
mod tests {
    use super::*;
    use runlens_core::MetricSeries;

    #[test]
    fn cut_keeps_a_utf8_prefix_and_says_how_much_went() {
        let mut text = "é".repeat(10); // 20 bytes
        assert_eq!(cut(&mut text, 5), Some(20));
        assert_eq!(text, "éé… [16 bytes cut]");
        let mut short = "abc".to_string();
        assert_eq!(cut(&mut short, 3), None);
        assert_eq!(short, "abc");
    }

    #[test]
    fn every_field_of_a_run_is_cut_and_listed_in_one_warning() {
        let limits = TextLimits {
            name_bytes: 8,
            value_bytes: 16,
        };
        let long = "x".repeat(1000);
        let mut run = Run {
            id: "r1".into(),
            name: long.clone(),
            source: "jsonl".into(),
            notes: Some(long.clone()),
            experiment: Some(long.clone()),
            ..Run::default()
        };
        run.params
            .insert("lr".into(), ParamValue::Text(long.clone()));
        run.params.insert("n".into(), ParamValue::Int(3));
        run.tags.insert(long.clone(), "short".into());
        run.tags.insert("team".into(), long.clone());
        let mut series = MetricSeries::default();
        series.push(0, 1.0, None);
        run.metrics.insert(format!("{long}a"), series.clone());
        run.metrics.insert(format!("{long}b"), series);
        let mut archive = Archive {
            runs: vec![run],
            ..Archive::default()
        };
        apply(&mut archive, limits);
        let run = &archive.runs[0];
        assert_eq!(run.name, "xxxxxxxx… [992 bytes cut]");
        assert_eq!(
            run.notes.as_deref(),
            Some("xxxxxxxxxxxxxxxx… [984 bytes cut]")
        );
        assert_eq!(
            run.params["lr"],
            ParamValue::Text("xxxxxxxxxxxxxxxx… [984 bytes cut]".into())
        );
        assert_eq!(run.params["n"], ParamValue::Int(3));
        assert_eq!(run.tags["xxxxxxxx… [992 bytes cut]"], "short");
        assert_eq!(run.tags["team"], "xxxxxxxxxxxxxxxx… [984 bytes cut]");
        // Two metric keys equal once cut stay two series.
        let keys: Vec<&String> = run.metrics.keys().collect();
        assert_eq!(
            keys,
            ["xxxxxxxx… [993 bytes cut]", "xxxxxxxx… [993 bytes cut] (2)"]
        );
        assert_eq!(archive.warnings.len(), 1);
        let warning = &archive.warnings[0];
        assert_eq!(warning.path, "jsonl run `r1`");
        for field in [
            "name (1000 bytes)",
            "experiment (1000 bytes)",
            "notes (1000 bytes)",
            "param `lr` value (1000 bytes)",
            "tag `team` value (1000 bytes)",
            "metric key `xxxxxxxx… [993 bytes cut]` (1001 bytes)",
        ] {
            assert!(
                warning.message.contains(field),
                "{field} in {}",
                warning.message
            );
        }
    }

    #[test]
    fn runs_within_the_limits_are_untouched_and_warn_nothing() {
        let mut run = Run {
            id: "r".into(),
            name: "short".into(),
            ..Run::default()
        };
        run.tags.insert("k".into(), "v".into());
        let mut archive = Archive {
            runs: vec![run.clone()],
            ..Archive::default()
        };
        apply(&mut archive, TextLimits::default());
        assert_eq!(archive.runs[0], run);
        assert!(archive.warnings.is_empty());
    }

    #[test]
    fn warnings_past_twenty_runs_are_counted() {
        let runs = (0..25)
            .map(|i| Run {
                id: format!("r{i}"),
                name: "n".repeat(100),
                ..Run::default()
            })
            .collect();
        let mut archive = Archive {
            runs,
            ..Archive::default()
        };
        apply(
            &mut archive,
            TextLimits {
                name_bytes: 10,
                value_bytes: 10,
            },
        );
        assert_eq!(archive.warnings.len(), 21);
        assert!(archive.warnings[20].message.contains("cut in 25 runs"));
    }
}
