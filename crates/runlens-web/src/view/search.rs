//! Free-text search beside the query filter: a run matches when every word typed appears,
//! ignoring case, in its name, id, experiment, group or one of its tag values. The text of
//! each run is gathered once, on the first search.

use runlens_core::bundle::RunTable;

/// Each run's searchable text, lower-cased.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchIndex {
    texts: Vec<String>,
}

impl SearchIndex {
    /// Gathers the searchable text of every run of `table`.
    pub fn new(table: &RunTable) -> SearchIndex {
        let texts = (0..table.len())
            .map(|row| {
                let mut text = String::new();
                let mut add = |part: &str| {
                    text.push_str(&part.to_lowercase());
                    text.push('\n');
                };
                add(&table.names[row]);
                add(&table.ids[row]);
                for column in [&table.experiments, &table.groups] {
                    if let Some(value) = column.get(row) {
                        add(value);
                    }
                }
                for tag in &table.tags {
                    if let Some(value) = tag.values.get(row) {
                        add(value);
                    }
                }
                text
            })
            .collect();
        SearchIndex { texts }
    }

    /// The rows of `rows` whose text holds every word of `query` (all of them for a blank
    /// query), in the given order.
    pub fn filter(&self, rows: &[usize], query: &str) -> Vec<usize> {
        let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
        if words.is_empty() {
            return rows.to_vec();
        }
        // One searcher per word, prepared once for every run (`str::contains` prepares
        // one per call: most of the time of a search over 10,000 runs).
        let finders: Vec<memchr::memmem::Finder<'_>> = words
            .iter()
            .map(|w| memchr::memmem::Finder::new(w.as_bytes()))
            .collect();
        rows.iter()
            .copied()
            .filter(|&row| {
                self.texts.get(row).is_some_and(|text| {
                    finders
                        .iter()
                        .all(|finder| finder.find(text.as_bytes()).is_some())
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use runlens_core::model::Run;

    #[test]
    fn every_word_must_appear_in_a_name_id_or_tag() {
        let runs: Vec<Run> = [
            ("a1", "ResNet-50 baseline", "vision"),
            ("b2", "bert", "NLP team"),
        ]
        .into_iter()
        .map(|(id, name, team)| {
            let mut run = Run {
                id: id.into(),
                name: name.into(),
                ..Run::default()
            };
            run.tags.insert("team".into(), team.into());
            run
        })
        .collect();
        let table = RunTable::from_runs("t", &runs, &[]);
        let index = SearchIndex::new(&table);
        assert_eq!(index.filter(&[0, 1], "resnet"), [0]);
        assert_eq!(
            index.filter(&[0, 1], "  nlp BERT "),
            [1],
            "words in any order and case"
        );
        assert_eq!(index.filter(&[0, 1], "b2"), [1], "ids too");
        assert_eq!(index.filter(&[0, 1], "resnet nlp"), Vec::<usize>::new());
        assert_eq!(index.filter(&[1, 0], ""), [1, 0]);
    }
}
