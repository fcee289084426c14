//! Narrative pages (`--page FILE`, `pages = [...]` in `runlens.toml`): markdown files read
//! into the report, each with a title (its first `# heading`, else the file name) and a
//! slug for the address. Their ` ```runlens ` blocks are checked against the runs here, so
//! that a typo is a warning at build time as well as a message in the page.

use std::path::{Path, PathBuf};

use anyhow::Context;
use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};
use runlens_core::bundle::RunTable;
use runlens_site::Page;

/// Reads the pages named on the command line, else those of the config.
pub fn load(paths: &[PathBuf]) -> anyhow::Result<Vec<Page>> {
    let mut pages: Vec<Page> = Vec::new();
    for path in paths {
        let markdown = std::fs::read_to_string(path).with_context(|| {
            format!(
                "could not read the page {} (a UTF-8 markdown file)",
                path.display()
            )
        })?;
        let stem = path
            .file_stem()
            .map_or_else(|| "page".to_string(), |s| s.to_string_lossy().into_owned());
        let mut slug = slug_of(&stem);
        let base = slug.clone();
        let mut n = 2;
        while pages.iter().any(|p| p.slug == slug) {
            slug = format!("{base}-{n}");
            n += 1;
        }
        pages.push(Page {
            title: title_of(&markdown).unwrap_or(stem),
            slug,
            markdown,
            source: path.display().to_string(),
        });
    }
    Ok(pages)
}

/// Problems of the pages' live blocks with these runs, as warnings naming file and line.
pub fn problems(pages: &[Page], table: &RunTable) -> Vec<String> {
    let default_metric = (!table.metrics.is_empty()).then_some(0);
    let mut out = Vec::new();
    for page in pages {
        for (line, text) in blocks(&page.markdown) {
            let checked = runlens_core::embed::parse(&text)
                .and_then(|embed| embed.resolve(table, default_metric).map(|_| ()));
            if let Err(error) = checked {
                out.push(format!(
                    "{}:{line}: runlens block: {error}; the page shows this message in its place",
                    page.source
                ));
            }
        }
    }
    out
}

/// The ` ```runlens ` blocks of `markdown`: 1-based line of the fence and text.
fn blocks(markdown: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut open: Option<(usize, String)> = None;
    for (event, range) in Parser::new(markdown).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info)))
                if info.split_whitespace().next() == Some("runlens") =>
            {
                let line = markdown[..range.start].matches('\n').count() + 1;
                open = Some((line, String::new()));
            }
            Event::Text(text) => {
                if let Some((_, body)) = open.as_mut() {
                    body.push_str(&text);
                }
            }
            Event::End(TagEnd::CodeBlock) => out.extend(open.take()),
            _ => {}
        }
    }
    out
}

/// The text of the first level-1 heading.
fn title_of(markdown: &str) -> Option<String> {
    markdown
        .lines()
        .find_map(|line| line.strip_prefix("# "))
        .map(|title| title.trim().to_string())
        .filter(|title| !title.is_empty())
}

/// Lowercase letters, digits and dashes.
fn slug_of(text: &str) -> String {
    let mut slug = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_matches('-').to_string();
    if slug.is_empty() {
        "page".to_string()
    } else {
        slug
    }
}

/// The config's pages, relative to the config file's directory.
pub fn config_paths(config_path: Option<&Path>, pages: &[PathBuf]) -> Vec<PathBuf> {
    let base = config_path.and_then(Path::parent).unwrap_or(Path::new(""));
    pages.iter().map(|p| base.join(p)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_slugs_and_blocks() {
        assert_eq!(slug_of("LR Sweep (final)"), "lr-sweep-final");
        assert_eq!(slug_of("!!"), "page");
        assert_eq!(
            title_of("intro\n# Results \n## more"),
            Some("Results".into())
        );
        let md = "# R\n\n```runlens\nmetric: acc\n```\n\ntext\n\n```python\nx\n```\n\n```runlens\nfilter: lr <\n```\n";
        let found = blocks(md);
        assert_eq!(
            found,
            [
                (3, "metric: acc\n".to_string()),
                (13, "filter: lr <\n".to_string())
            ]
        );
    }
}
