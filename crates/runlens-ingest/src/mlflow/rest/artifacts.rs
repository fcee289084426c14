//! A run's artifacts over the REST API: `artifacts/list` folder by folder for the paths and
//! sizes, and `get-artifact` for the content of small files the page can show, within the
//! build's artifact budget.

use runlens_core::{Artifact, ArtifactContent, ArtifactKind};

use super::client::{Client, RestError};
use super::{api, endpoint, next_page};
use crate::reader::ReadOutput;

/// At most this many files are listed per run (a logged model folder can hold thousands);
/// the listing then stops.
pub const MAX_FILES_PER_RUN: usize = 10_000;

/// Extensions of images: [`ArtifactKind::sniff`] tells them by their first bytes, so they
/// are fetched before it decides.
const IMAGE_EXTENSIONS: [&str; 5] = ["png", "jpg", "jpeg", "gif", "webp"];

/// A run's artifact list.
#[derive(Debug, Default)]
pub struct Listing {
    /// Every file, in the order of a walk by name.
    pub artifacts: Vec<Artifact>,
    /// Whether the listing stopped at [`MAX_FILES_PER_RUN`].
    pub truncated: bool,
    /// Files whose content could not be fetched (they are listed without it): path, why.
    pub failed: Vec<(String, RestError)>,
}

/// Embeds, in path order, the listed artifacts the budget allows. Failing to fetch one
/// file's content is not an error (it is listed without content, in [`Listing::failed`]);
/// an unreachable server is.
pub fn embed(
    client: &Client,
    run_id: &str,
    listing: &mut Listing,
    out: &mut ReadOutput,
) -> Result<(), RestError> {
    for artifact in &mut listing.artifacts {
        match content(client, run_id, artifact, out) {
            Ok(content) => artifact.content = content,
            Err(e) if e.is_unreachable() => return Err(e),
            Err(e) => listing.failed.push((artifact.path.clone(), e)),
        }
    }
    Ok(())
}

/// Every file below the run's artifact root (folders walked depth first), sorted by path.
pub fn list(client: &Client, run_id: &str) -> Result<Listing, RestError> {
    let mut listing = Listing::default();
    let mut folders = vec![String::new()];
    let mut seen_folders = std::collections::HashSet::new();
    'folders: while let Some(folder) = folders.pop() {
        let mut token: Option<String> = None;
        loop {
            let mut query = vec![("run_id", run_id)];
            if !folder.is_empty() {
                query.push(("path", folder.as_str()));
            }
            if let Some(token) = &token {
                query.push(("page_token", token));
            }
            let page: api::ArtifactsPage = client.get_json(endpoint::ARTIFACTS, &query)?;
            for file in page.files {
                if file.path.is_empty() || file.path == folder {
                    continue;
                }
                if file.is_dir {
                    // A server that lists a folder inside itself must not loop.
                    if seen_folders.insert(file.path.clone()) {
                        folders.push(file.path);
                    }
                } else if listing.artifacts.len() >= MAX_FILES_PER_RUN {
                    listing.truncated = true;
                    break 'folders;
                } else {
                    listing.artifacts.push(Artifact {
                        path: file.path,
                        size: file.file_size.and_then(|s| u64::try_from(s).ok()),
                        content: None,
                    });
                }
            }
            if !next_page(
                client,
                endpoint::ARTIFACTS,
                &mut token,
                page.next_page_token,
            )? {
                break;
            }
        }
    }
    // The order of a walk of the folder by name (as the local stores list them): `a/b.txt`
    // before `a.txt`, since the folder `a` sorts before the name `a.txt`.
    listing
        .artifacts
        .sort_by(|a, b| a.path.split('/').cmp(b.path.split('/')));
    Ok(listing)
}

/// The content of `artifact` when the page can show it and the budget has room for it.
fn content(
    client: &Client,
    run_id: &str,
    artifact: &Artifact,
    out: &mut ReadOutput,
) -> Result<Option<ArtifactContent>, RestError> {
    let Some(size) = artifact.size else {
        return Ok(None);
    };
    let ext = artifact
        .path
        .rsplit_once('.')
        .map_or("", |(_, ext)| ext)
        .to_ascii_lowercase();
    let showable = ArtifactKind::sniff(&artifact.path, &[]).is_some()
        || IMAGE_EXTENSIONS.contains(&ext.as_str());
    if !showable || !out.budget().take(size) {
        return Ok(None);
    }
    let query = [("path", artifact.path.as_str()), ("run_uuid", run_id)];
    let fetched = client.get_bytes(endpoint::ARTIFACT, &query, size);
    let sniffed = match &fetched {
        Ok(bytes) => ArtifactKind::sniff(&artifact.path, bytes),
        Err(_) => None,
    };
    let Some((kind, media_type)) = sniffed else {
        // Not embedded after all: the bytes go back to the budget.
        out.budget().give_back(size);
        return fetched.map(|_| None);
    };
    Ok(Some(ArtifactContent {
        kind,
        media_type: media_type.to_string(),
        bytes: fetched?,
    }))
}
