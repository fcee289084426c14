//! The run page's content that the index already holds: attributes, parent and children,
//! params as logged, tags, metric summaries and registered model versions. Pure data,
//! rendered by `run_panel`; the details file adds notes, datasets and artifacts.

use runlens_core::bundle::RunTable;

use crate::format;

/// Tags trackers use for who ran what where, shown among the run's attributes (they stay
/// in the tags too): label and tag key.
const PROVENANCE_TAGS: [(&str, &str); 7] = [
    ("user", "mlflow.user"),
    ("entry point", "mlflow.source.name"),
    ("git commit", "mlflow.source.git.commit"),
    ("git branch", "mlflow.source.git.branch"),
    ("git commit", "wandb.git.commit"),
    ("git remote", "wandb.git.remote_url"),
    ("host", "wandb.host"),
];

/// One metric's summary line.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricLine {
    /// Metric key.
    pub key: String,
    /// Points, last value, min, max, last step — formatted.
    pub cells: [String; 5],
}

/// One registered model version made from the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelLine {
    /// `name v3`.
    pub title: String,
    /// Stage, aliases and status, as one line.
    pub facts: String,
    /// Markdown description (the version's, else the model's).
    pub description: Option<String>,
}

/// What the run page shows from the index.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSheet {
    /// Run name.
    pub name: String,
    /// Attribute rows: label and value.
    pub facts: Vec<(&'static str, String)>,
    /// The parent run (row, name).
    pub parent: Option<(usize, String)>,
    /// Nested runs (row, name), by name.
    pub children: Vec<(usize, String)>,
    /// Params as logged.
    pub params: Vec<(String, String)>,
    /// Tags.
    pub tags: Vec<(String, String)>,
    /// Metric summaries.
    pub metrics: Vec<MetricLine>,
    /// Registered model versions made from this run.
    pub models: Vec<ModelLine>,
}

/// The sheet of run `row`.
pub fn sheet(table: &RunTable, row: usize) -> RunSheet {
    let mut facts: Vec<(&'static str, String)> = vec![("id", table.ids[row].clone())];
    let mut optional = |label: &'static str, value: Option<&str>| {
        if let Some(value) = value {
            facts.push((label, value.to_string()));
        }
    };
    optional("experiment", table.experiments.get(row));
    optional("group", table.groups.get(row));
    optional("source", table.sources.get(row));
    facts.push(("status", table.status(row).as_str().to_string()));
    let (start, end) = (table.start_times[row], table.end_times[row]);
    if !start.is_nan() {
        facts.push(("started", format::utc_time(start)));
    }
    if !end.is_nan() {
        facts.push(("ended", format::utc_time(end)));
    }
    if !start.is_nan() && !end.is_nan() {
        facts.push(("duration", format::duration(end - start)));
    }
    for (label, key) in PROVENANCE_TAGS {
        if let Some(value) = table
            .tag_index(key)
            .and_then(|c| table.tags[c].values.get(row))
        {
            facts.push((label, value.to_string()));
        }
    }
    let parent = table.parent(row).map(|p| (p, table.names[p].clone()));
    let mut children: Vec<(usize, String)> = (0..table.len())
        .filter(|&r| table.parent(r) == Some(row))
        .map(|r| (r, table.names[r].clone()))
        .collect();
    children.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    let params = (0..table.params.len())
        .filter_map(|c| Some((table.params[c].key.clone(), table.param_text(c, row)?)))
        .collect();
    let tags = table
        .tags
        .iter()
        .filter_map(|c| Some((c.key.clone(), c.values.get(row)?.to_string())))
        .collect();
    let metrics = table
        .metrics
        .iter()
        .filter_map(|c| {
            let s = c.summary(row)?;
            Some(MetricLine {
                key: c.key.clone(),
                cells: [
                    format::count(s.count as usize),
                    format::number(s.last),
                    format::number(s.min),
                    format::number(s.max),
                    s.last_step.to_string(),
                ],
            })
        })
        .collect();
    let models = table
        .models
        .iter()
        .flat_map(|m| m.versions.iter().map(move |v| (m, v)))
        .filter(|(_, v)| v.run_row == Some(row as u32))
        .map(|(m, v)| {
            let mut facts = Vec::new();
            if let Some(stage) = v.stage.as_deref().filter(|s| *s != "None") {
                facts.push(format!("stage {stage}"));
            }
            if !v.aliases.is_empty() {
                facts.push(format!("aliases {}", v.aliases.join(", ")));
            }
            if let Some(status) = &v.status {
                facts.push(status.to_ascii_lowercase());
            }
            ModelLine {
                title: format!("{} v{}", m.name, v.version),
                facts: facts.join(" · "),
                description: v.description.clone().or_else(|| m.description.clone()),
            }
        })
        .collect();
    RunSheet {
        name: table.names[row].clone(),
        facts,
        parent,
        children,
        params,
        tags,
        metrics,
        models,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use runlens_core::bundle;
    use runlens_core::{Archive, ModelVersion, RegisteredModel, Run};

    #[test]
    fn the_sheet_links_parent_children_and_models_and_shows_logged_text() {
        let mut parent = Run {
            id: "p".into(),
            name: "parent".into(),
            source: "mlflow".into(),
            tags: [("mlflow.source.git.commit".to_string(), "abc123".to_string())].into(),
            start_time: Some(1_700_000_000.0),
            end_time: Some(1_700_003_725.5),
            ..Run::default()
        };
        parent.set_param_text("lr", "1e-3");
        let child = Run {
            id: "c".into(),
            name: "child".into(),
            source: "mlflow".into(),
            parent_id: Some("p".into()),
            ..Run::default()
        };
        let mut archive = Archive {
            runs: vec![parent, child],
            models: vec![RegisteredModel {
                source: "mlflow".into(),
                name: "clf".into(),
                description: Some("model text".into()),
                versions: vec![ModelVersion {
                    version: "2".into(),
                    run_id: Some("p".into()),
                    stage: Some("Production".into()),
                    aliases: vec!["champion".into()],
                    status: Some("READY".into()),
                    ..ModelVersion::default()
                }],
                ..RegisteredModel::default()
            }],
            ..Archive::default()
        };
        archive.finish();
        let encoded = bundle::encode(&archive, "t", 64);
        let table = bundle::decode_index(&encoded.index).unwrap();
        let row = table.ids.iter().position(|id| id == "p").unwrap();
        let child_row = 1 - row;
        let sheet = sheet(&table, row);
        assert_eq!(sheet.params, [("lr".to_string(), "1e-3".to_string())]);
        assert_eq!(sheet.children, [(child_row, "child".to_string())]);
        assert_eq!(sheet.parent, None);
        assert!(
            sheet
                .facts
                .contains(&("duration", "1h 2m 5.5s".to_string())),
            "{:?}",
            sheet.facts
        );
        assert!(
            sheet
                .facts
                .contains(&("started", "2023-11-14 22:13:20 UTC".to_string()))
        );
        assert_eq!(
            sheet.models,
            [ModelLine {
                title: "clf v2".into(),
                facts: "stage Production · aliases champion · ready".into(),
                description: Some("model text".into()),
            }]
        );
        let child_sheet = super::sheet(&table, child_row);
        assert_eq!(child_sheet.parent, Some((row, "parent".to_string())));
        assert!(child_sheet.models.is_empty());
    }
}
