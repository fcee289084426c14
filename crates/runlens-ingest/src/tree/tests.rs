//! A [`Tree`] walks as `walkdir` does with links followed and names sorted: the same
//! entries, depths, types and errors in the same order, on a tree with links to files and
//! directories, dangling links, a link loop, a chain of links that never ends, a link
//! back to an ancestor two levels up and hidden entries; started from a listing it gives
//! what a walk of that directory gives; and the canonical paths it tells are
//! `fs::canonicalize`'s.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

use super::{Tree, TreeError};

/// What a walk yields, written out to compare: path (relative), depth, type; or error
/// path, depth, loop ancestor and I/O error kind.
fn describe_entry(root: &Path, path: &Path, depth: usize, file_type: fs::FileType) -> String {
    let kind = if file_type.is_dir() {
        "dir"
    } else if file_type.is_file() {
        "file"
    } else if file_type.is_symlink() {
        "link"
    } else {
        "other"
    };
    format!("{} {depth} {kind}", relative(root, path))
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

fn describe_error(
    root: &Path,
    path: Option<&Path>,
    depth: usize,
    ancestor: Option<&Path>,
    io: Option<std::io::ErrorKind>,
) -> String {
    format!(
        "error {:?} {depth} loop to {:?} {io:?}",
        path.map(|p| relative(root, p)),
        ancestor.map(|p| relative(root, p))
    )
}

fn hidden(name: &OsStr, _is_dir: bool) -> bool {
    name.to_string_lossy().starts_with('.')
}

/// `walkdir`'s walk of `root`, hidden entries below the root passed over.
fn walkdir_walk(root: &Path) -> Vec<String> {
    walkdir_items(root, true)
}

/// `walkdir`'s walk of `root`, passing over hidden entries below the root when `skip`.
fn walkdir_items(root: &Path, skip: bool) -> Vec<String> {
    walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| !skip || e.depth() == 0 || !hidden(e.file_name(), e.file_type().is_dir()))
        .map(|item| match item {
            Ok(e) => describe_entry(root, e.path(), e.depth(), e.file_type()),
            Err(e) => describe_error(
                root,
                e.path(),
                e.depth(),
                e.loop_ancestor(),
                e.io_error().map(std::io::Error::kind),
            ),
        })
        .collect()
}

fn tree_walk(root: &Path, walk: Tree) -> Vec<String> {
    walk.map(|item| match item {
        Ok(e) => describe_entry(root, e.path(), e.depth(), e.file_type()),
        Err(e) => describe_tree_error(root, &e),
    })
    .collect()
}

fn describe_tree_error(root: &Path, e: &TreeError) -> String {
    describe_error(
        root,
        e.path(),
        e.depth(),
        e.loop_ancestor(),
        e.io_error().map(std::io::Error::kind),
    )
}

/// The tree described at the top, under `root`.
fn make_tree(root: &Path) {
    for dir in ["a/b/c", "a/d", "e", "f.dir/g", ".hidden/h"] {
        fs::create_dir_all(root.join(dir)).unwrap();
    }
    for file in [
        "a/1.txt",
        "a/b/2.txt",
        "a/b/c/3.txt",
        "e/4",
        "f.dir/g/5",
        ".hidden/h/6",
        "z",
    ] {
        fs::write(root.join(file), file).unwrap();
    }
    fs::write(root.join("a/.dotfile"), "").unwrap();
    symlink("../e", root.join("a/to_e")).unwrap();
    symlink("4", root.join("e/to_file")).unwrap();
    symlink("nowhere", root.join("e/dangling")).unwrap();
    symlink(".", root.join("e/loop_here")).unwrap();
    symlink("../..", root.join("a/b/loop_up")).unwrap();
    symlink("cycle_b", root.join("f.dir/cycle_a")).unwrap();
    symlink("cycle_a", root.join("f.dir/cycle_b")).unwrap();
    symlink("a", root.join("y_link_to_a")).unwrap();
}

#[test]
fn walks_as_walkdir_with_links_followed_and_names_sorted() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    make_tree(&root);
    let expected = walkdir_walk(&root);
    // The tree has what the comparison is about.
    for part in [
        "a/to_e 2 dir",
        "a/to_e/to_file 3 file",
        "error Some(\"a/b/loop_up\") 3 loop to Some(\"\")",
        "error Some(\"e/loop_here\") 2 loop to Some(\"e\")",
        "error Some(\"e/dangling\") 2 loop to None Some(NotFound)",
        "error Some(\"f.dir/cycle_a\") 2",
        "y_link_to_a/b/c/3.txt 4 file",
    ] {
        assert!(
            expected.iter().any(|line| line.starts_with(part)),
            "{part} not in {expected:#?}"
        );
    }
    assert!(
        !expected
            .iter()
            .any(|line| line.contains("hidden") || line.contains("dotfile"))
    );
    assert_eq!(
        tree_walk(&root, Tree::new(&root).skipping(hidden)),
        expected
    );
    // A link as the root, and a walk that skips nothing.
    let link = dir.path().join("link_to_root");
    symlink(&root, &link).unwrap();
    assert_eq!(
        tree_walk(&link, Tree::new(&link).skipping(hidden)),
        walkdir_walk(&link)
    );
    let everything = walkdir_items(&root, false);
    assert!(everything.len() > expected.len());
    assert_eq!(tree_walk(&root, Tree::new(&root)), everything);
}

#[test]
fn a_walk_started_from_a_listing_gives_what_a_walk_of_that_directory_gives() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    make_tree(&root);
    // Walk the root until `a` (depth 1), and take its listing instead of walking it.
    let mut walk = Tree::new(&root).skipping(hidden);
    let (file_type, listing) = loop {
        let entry = walk.next().unwrap().unwrap();
        if entry.path() == root.join("a") {
            let names: Vec<_> = walk
                .listing()
                .unwrap()
                .names()
                .map(OsStr::to_owned)
                .collect();
            let mut listed: Vec<_> = fs::read_dir(root.join("a"))
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            listed.sort();
            assert_eq!(names, listed, "the listing's names are the directory's");
            break (entry.file_type(), walk.take_listing().unwrap());
        }
    };
    assert!(walk.listing().is_none(), "taken");
    // The walk goes on after `a`, without its entries.
    let rest = tree_walk(&root, walk);
    assert_eq!(
        rest.first().map(String::as_str),
        Some("e 1 dir"),
        "{rest:#?}"
    );
    let a = root.join("a");
    let from_listing = tree_walk(
        &a,
        Tree::with_listing(&a, file_type, listing).skipping(hidden),
    );
    assert_eq!(from_listing, walkdir_walk(&a));
    assert!(
        from_listing
            .iter()
            .any(|line| line.contains("loop to Some"))
    );
}

#[test]
fn canonical_paths_are_those_fs_canonicalize_gives() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    make_tree(&root);
    // The root named through a link and a `..`.
    let named = dir.path().join("root/a/../y_link_to_a/..");
    let mut walk = Tree::new(&named).tracking_canonical_paths();
    let mut checked = 0;
    while let Some(item) = walk.next() {
        let Ok(entry) = item else { continue };
        assert_eq!(
            walk.canonical(),
            Some(fs::canonicalize(entry.path()).unwrap().as_path()),
            "{}",
            entry.path().display()
        );
        checked += 1;
    }
    assert!(checked > 20, "{checked} entries");
    // Not tracked: none told.
    let mut walk = Tree::new(&root);
    assert!(walk.next().is_some() && walk.canonical().is_none());
}

#[test]
fn a_directory_that_cannot_be_listed_is_yielded_then_its_error() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    fs::create_dir_all(root.join("a")).unwrap();
    // A directory that cannot be listed whoever asks (permissions do not stop root): one
    // gone between the listing of its parent and its own, as a live writer may do.
    let mut walk = Tree::new(&root);
    assert_eq!(walk.next().unwrap().unwrap().depth(), 0);
    fs::remove_dir(root.join("a")).unwrap();
    let entry = walk.next().unwrap().unwrap();
    assert_eq!((entry.path(), entry.depth()), (root.join("a").as_path(), 1));
    assert_eq!(walk.listing().unwrap().names().count(), 0, "no names");
    let error = walk.next().unwrap().unwrap_err();
    assert_eq!(
        describe_tree_error(&root, &error),
        "error Some(\"a\") 1 loop to None Some(NotFound)"
    );
    assert!(walk.next().is_none());
}
