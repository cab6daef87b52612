//! The module graph stays a layering: no cycles between top-level modules,
//! the engine neither touches files nor reads config, and `base` (the shared
//! primitives at the bottom) imports nothing from the crate.
//!
//! Reads `src/**/*.rs` as text (std only). Test code is not part of the
//! architecture and is skipped: files named `tests.rs`, `*_tests.rs`,
//! `testutil.rs` and `fixture.rs`, and everything from a `#[cfg(test)]`
//! line to the end of a file. Every `crate::<module>` path (in `use` lines,
//! `use crate::{a, b}` groups and inline paths) and every `super::` path that
//! climbs to the crate root counts as an edge from the file's top-level
//! module to `<module>`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// (from module, to module) → files that make the edge.
type Graph = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn is_test_file(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    matches!(name, "tests.rs" | "testutil.rs" | "fixture.rs") || name.ends_with("_tests.rs")
}

/// The file's module path: `engine/logs/mod.rs` → [engine, logs].
fn module_path(rel: &str) -> Vec<String> {
    let mut parts: Vec<String> = rel.trim_end_matches(".rs").split('/').map(String::from).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The code of a file without test code and comments.
fn code_of(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with("#[cfg(test)]") {
            break;
        }
        let code = line.find("//").map_or(line, |i| &line[..i]);
        out.push_str(code);
        out.push('\n');
    }
    out
}

fn ident_at(s: &str) -> &str {
    let end = s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(s.len());
    &s[..end]
}

fn is_boundary(code: &str, at: usize) -> bool {
    code[..at].chars().next_back().is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'))
}

/// The top-level modules `code` (inside module `here`) refers to.
fn referenced_tops(code: &str, here: &[String]) -> BTreeSet<String> {
    let mut tops = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        if !is_boundary(code, at) {
            continue;
        }
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // `use crate::{a::X, b, c::{D, E}}`: the first segment of each
            // entry at nesting depth zero.
            let mut depth = 0;
            let mut entry_start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => entry_start = true,
                    c if entry_start && depth == 0 && !c.is_whitespace() => {
                        tops.insert(ident_at(&group[i..]).to_string());
                        entry_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            tops.insert(ident_at(rest).to_string());
        }
    }
    // `super::super::x` from `a/b.rs` ([a, b]) climbs to the root: x is top-level.
    for (at, _) in code.match_indices("super::") {
        if !is_boundary(code, at) || code[..at].ends_with("super::") {
            continue;
        }
        let mut rest = &code[at..];
        let mut ups = 0;
        while let Some(r) = rest.strip_prefix("super::") {
            ups += 1;
            rest = r;
        }
        if ups >= here.len() {
            tops.insert(ident_at(rest).to_string());
        }
    }
    tops
}

/// The top-level modules declared in `lib.rs`.
fn top_modules(lib: &str) -> BTreeSet<String> {
    lib.lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod ").or_else(|| l.trim().strip_prefix("mod ")))
        .map(|m| m.trim_end_matches(';').trim().to_string())
        .collect()
}

fn graph() -> Graph {
    let root = src();
    let tops = top_modules(&std::fs::read_to_string(root.join("lib.rs")).unwrap());
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut g = Graph::new();
    for path in files {
        let rel = path.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
        let here = module_path(&rel);
        let Some(from) = here.first().filter(|m| tops.contains(*m)) else {
            continue; // lib.rs, main.rs
        };
        if is_test_file(&rel) {
            continue;
        }
        let code = code_of(&std::fs::read_to_string(&path).unwrap());
        for to in referenced_tops(&code, &here) {
            if tops.contains(&to) && &to != from {
                g.entry(from.clone()).or_default().entry(to).or_default().insert(rel.clone());
            }
        }
    }
    g
}

/// One cycle, as the modules along it (first = last), if there is any.
fn find_cycle(g: &Graph) -> Option<Vec<String>> {
    fn visit(
        g: &Graph,
        node: &str,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[i..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_string());
        for next in g.get(node).into_iter().flat_map(BTreeMap::keys) {
            if let Some(c) = visit(g, next, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    g.keys().find_map(|n| visit(g, n, &mut Vec::new(), &mut done))
}

fn describe(g: &Graph, cycle: &[String]) -> String {
    cycle
        .windows(2)
        .map(|w| {
            let files: Vec<&str> = g[&w[0]][&w[1]].iter().map(String::as_str).collect();
            format!("  {} -> {} ({})", w[0], w[1], files.join(", "))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn top_level_modules_form_no_cycle() {
    let g = graph();
    assert!(g.contains_key("ui") && g["ui"].contains_key("app"), "the scan sees ui -> app");
    assert!(g["driver"].contains_key("pipeline"), "the scan sees driver -> pipeline");
    if let Some(cycle) = find_cycle(&g) {
        panic!("module cycle {}:\n{}", cycle.join(" -> "), describe(&g, &cycle));
    }
}

#[test]
fn base_imports_nothing_from_the_crate() {
    let g = graph();
    assert_eq!(g.get("base"), None, "base must stay at the bottom");
}

#[test]
fn the_engine_does_no_file_io_and_reads_no_config() {
    let root = src();
    let mut files = Vec::new();
    rust_files(&root.join("engine"), &mut files);
    assert!(!files.is_empty());
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.find("//").map_or(line, |i| &line[..i]);
            assert!(
                !code.contains("std::fs") && !code.contains("crate::config"),
                "{}:{}: {line}",
                path.display(),
                n + 1
            );
        }
    }
}

// The scanner itself, on small inputs, so the checks above cannot pass by
// seeing nothing.

/// Every pipeline outside test code is built by the one driver: a new way
/// to feed the engine must become a `driver::Feed`, not a fifth loop.
#[test]
fn only_the_driver_builds_a_pipeline() {
    let root = src();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut builders = Vec::new();
    for path in files {
        let rel = path.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
        if is_test_file(&rel) {
            continue;
        }
        let code = code_of(&std::fs::read_to_string(&path).unwrap());
        for _ in code.matches("Pipeline::new(") {
            builders.push(rel.clone());
        }
    }
    assert_eq!(builders, vec!["driver/mod.rs".to_string()], "Pipeline::new outside the driver");
}

fn names(v: &[&str]) -> BTreeSet<String> {
    v.iter().map(|s| (*s).to_string()).collect()
}

#[test]
fn scanner_reads_paths_groups_and_super_and_skips_tests_and_comments() {
    let here = module_path("app/nav.rs");
    let code = code_of(
        "use crate::{model::View, store, ui::{a, b}};\n\
         let x = crate::base::fnv1a(b\"\"); // crate::config::load\n\
         use super::super::engine::X;\n\
         use super::state::State;\n\
         #[cfg(test)]\n\
         mod tests { use crate::history::H; }\n",
    );
    assert_eq!(referenced_tops(&code, &here), names(&["base", "engine", "model", "store", "ui"]));
    assert_eq!(module_path("engine/logs/mod.rs"), ["engine", "logs"]);
    assert!(is_test_file("app/runbook_flow_tests.rs") && is_test_file("engine/testutil.rs"));
    assert!(!is_test_file("app/update.rs"));
    assert_eq!(
        referenced_tops("use super::model::Alert;", &module_path("pipeline.rs")),
        names(&["model"])
    );
}

#[test]
fn cycle_finder_names_a_cycle_and_accepts_a_layering() {
    fn edge(g: &mut Graph, a: &str, b: &str) {
        g.entry(a.into()).or_default().entry(b.into()).or_default().insert(format!("{a}.rs"));
    }
    let mut g = Graph::new();
    edge(&mut g, "ui", "app");
    edge(&mut g, "app", "model");
    edge(&mut g, "store", "model");
    assert_eq!(find_cycle(&g), None);
    edge(&mut g, "model", "ui");
    let cycle = find_cycle(&g).unwrap();
    assert_eq!(cycle.first(), cycle.last());
    assert_eq!(cycle.len(), 4, "{cycle:?}");
    assert!(describe(&g, &cycle).contains("model -> ui (model.rs)"));
}
