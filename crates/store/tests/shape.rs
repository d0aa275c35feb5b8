//! The store's shape (issue 22): it loads, asks the domain, and writes. A
//! function that grows past [`LONGEST`] lines is deciding something the
//! domain should decide, or doing several things that want names.
// Tests: a panic is the failure report, and a test may wait on real time.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

use std::path::Path;

const LONGEST: usize = 80;

/// `(lines, file, name)` of every function in `dir`'s Rust files: from its
/// `fn` line to the closing brace at the same indentation.
fn functions(dir: &Path, out: &mut Vec<(usize, String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            functions(&path, out);
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let trimmed = line.trim_start();
            let indent = line.len() - trimmed.len();
            let rest = ["pub(crate) ", "pub(super) ", "pub "]
                .iter()
                .fold(trimmed, |t, p| t.strip_prefix(p).unwrap_or(t));
            let rest = rest.strip_prefix("async ").unwrap_or(rest);
            let Some(sig) = rest.strip_prefix("fn ") else { continue };
            let name: String = sig.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            let close = format!("{}}}", " ".repeat(indent));
            let Some(end) = lines[i + 1..].iter().position(|l| l.trim_end() == close) else { continue };
            out.push((end + 2, path.display().to_string(), name));
        }
    }
}

#[test]
fn no_store_function_is_longer_than_a_screen() {
    let mut found = vec![];
    functions(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut found);
    assert!(found.len() > 300, "the scan found the store's functions ({})", found.len());
    let long: Vec<String> = found
        .iter()
        .filter(|(n, ..)| *n > LONGEST)
        .map(|(n, file, name)| format!("{file}: {name} is {n} lines"))
        .collect();
    assert!(long.is_empty(), "the domain decides, the store persists:\n{}", long.join("\n"));
}
