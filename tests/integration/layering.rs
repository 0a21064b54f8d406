//! The layering of the library, read from the code and held to `docs/architecture.md`: every
//! `crate::` and `super::` path outside comments and test modules is an edge from its file's module
//! to the deepest module the path names. The test fails on
//! - a circle between modules (files), other than a module and its own submodules;
//! - an import from a top-level module of a higher layer than the importer's, in the order of the
//!   layer block of `docs/architecture.md`, or a circle between top-level modules of one layer;
//! - a top-level module of `src/lib.rs` missing from that block, or a name in it that is neither a
//!   module nor a crate of its own (so the document and the code cannot drift apart).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

type Module = Vec<String>;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file under `src/` but `main.rs`, with its module path.
fn modules() -> BTreeMap<Module, String> {
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let src = root().join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    let mut out = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(&src).unwrap().with_extension("");
        let mut path: Module = rel.iter().map(|c| c.to_string_lossy().into_owned()).collect();
        if path.last().is_some_and(|l| l == "mod") {
            path.pop();
        }
        match path.as_slice() {
            [one] if one == "main" => continue,
            [one] if one == "lib" => path.clear(),
            _ => {}
        }
        out.insert(path, std::fs::read_to_string(&f).unwrap());
    }
    out
}

/// The code of a file without its test modules, comments and string literals.
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap();
    let mut out = String::new();
    for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
        let mut in_string = false;
        let mut prev = ' ';
        for c in line.chars() {
            if c == '"' && prev != '\\' {
                in_string = !in_string;
            } else if !in_string {
                out.push(c);
            }
            prev = c;
        }
        out.push('\n');
    }
    out
}

/// Expand a `use` tree (`a::{b, c::{d, e}}`) into its paths.
fn expand(tree: &str, prefix: &str, out: &mut Vec<String>) {
    let tree = tree.trim();
    match tree.find('{') {
        None => out.push(format!("{prefix}{}", tree.split(" as ").next().unwrap().trim())),
        Some(open) => {
            let head = format!("{prefix}{}", &tree[..open]);
            let inner = &tree[open + 1..tree.rfind('}').unwrap()];
            let (mut depth, mut start) = (0, 0);
            for (i, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        expand(&inner[start..i], &head, out);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            if !inner[start..].trim().is_empty() {
                expand(&inner[start..], &head, out);
            }
        }
    }
}

/// Every `crate::` or `super::` path of a file's code, as written.
fn paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    // `use` statements, expanded.
    while let Some(i) = rest.find("use ") {
        let before = rest[..i].chars().last();
        let after = &rest[i + 4..];
        let end = after.find(';').unwrap_or(after.len());
        if before.is_none_or(|c| !c.is_alphanumeric() && c != '_') {
            let tree = after[..end].split_whitespace().collect::<Vec<_>>().join(" ");
            if tree.starts_with("crate::") || tree.starts_with("super::") || tree.starts_with("self::") {
                expand(&tree, "", &mut out);
            }
        }
        rest = &after[end.min(after.len())..];
    }
    // Paths in the code.
    let bytes = code.as_bytes();
    for start in ["crate::", "super::"] {
        for (i, _) in code.match_indices(start) {
            if i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_' || bytes[i - 1] == b':') {
                continue;
            }
            let end = code[i..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                .map_or(code.len(), |e| i + e);
            // `super::{a, b}` is a use tree, expanded above.
            if !code[i..end].ends_with("::") {
                out.push(code[i..end].to_string());
            }
        }
    }
    out
}

/// The module a path written in `me` names: the deepest existing module along it.
fn target(me: &Module, path: &str, modules: &BTreeMap<Module, String>) -> Option<Module> {
    let mut parts: Vec<&str> = path.split("::").collect();
    let mut base: Module = match parts.first() {
        Some(&"crate") => Vec::new(),
        Some(&"self") => me.clone(),
        Some(&"super") => me.clone(),
        _ => return None,
    };
    if parts[0] == "crate" || parts[0] == "self" {
        parts.remove(0);
    }
    while parts.first() == Some(&"super") {
        base.pop();
        parts.remove(0);
    }
    let mut best = None;
    for p in parts {
        base.push(p.to_string());
        if modules.contains_key(&base) {
            best = Some(base.clone());
        }
    }
    best
}

/// Edges between modules that are not a module and its own submodule.
fn edges(modules: &BTreeMap<Module, String>) -> BTreeMap<Module, BTreeSet<Module>> {
    let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (me, text) in modules {
        for p in paths(&code(text)) {
            if let Some(t) = target(me, &p, modules).filter(|t| !t.starts_with(me) && !me.starts_with(t)) {
                edges.entry(me.clone()).or_default().insert(t);
            }
        }
    }
    edges
}

/// The strongly connected components with more than one node (Tarjan).
fn circles<N: Ord + Clone>(edges: &BTreeMap<N, BTreeSet<N>>) -> Vec<Vec<N>> {
    struct T<'a, N: Ord> {
        edges: &'a BTreeMap<N, BTreeSet<N>>,
        index: BTreeMap<N, usize>,
        low: BTreeMap<N, usize>,
        stack: Vec<N>,
        on: BTreeSet<N>,
        out: Vec<Vec<N>>,
    }
    fn visit<N: Ord + Clone>(t: &mut T<N>, v: &N) {
        let i = t.index.len();
        t.index.insert(v.clone(), i);
        t.low.insert(v.clone(), i);
        t.stack.push(v.clone());
        t.on.insert(v.clone());
        for w in t.edges.get(v).into_iter().flatten() {
            if !t.index.contains_key(w) {
                visit(t, w);
                let l = t.low[v].min(t.low[w]);
                t.low.insert(v.clone(), l);
            } else if t.on.contains(w) {
                let l = t.low[v].min(t.index[w]);
                t.low.insert(v.clone(), l);
            }
        }
        if t.low[v] == t.index[v] {
            let mut comp = Vec::new();
            loop {
                let w = t.stack.pop().unwrap();
                t.on.remove(&w);
                let done = &w == v;
                comp.push(w);
                if done {
                    break;
                }
            }
            if comp.len() > 1 {
                t.out.push(comp);
            }
        }
    }
    let mut t = T {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in edges.keys() {
        if !t.index.contains_key(v) {
            visit(&mut t, v);
        }
    }
    t.out
}

/// The layer of every name in `docs/architecture.md`'s layer block: the first 16 characters of a
/// line name the layer (blank: the one above continues), then come its modules, with
/// parenthesised remarks and trailing `/` or `;` ignored.
fn layers() -> BTreeMap<String, usize> {
    let doc = std::fs::read_to_string(root().join("docs/architecture.md")).unwrap();
    let block = doc
        .split("## The layers")
        .nth(1)
        .expect("docs/architecture.md: a `## The layers` section");
    let block = block.split("```text").nth(1).unwrap().split("```").next().unwrap();
    let mut out = BTreeMap::new();
    let mut layer = 0;
    for line in block.lines().filter(|l| !l.trim().is_empty()) {
        let (name, rest) = line.split_at(16.min(line.len()));
        if !name.trim().is_empty() {
            layer += 1;
        }
        let mut depth = 0;
        let plain: String = rest
            .chars()
            .filter(|&c| {
                depth += i32::from(c == '(');
                let keep = depth == 0;
                depth -= i32::from(c == ')');
                keep && c != ')'
            })
            .collect();
        for word in plain.split_whitespace() {
            let m = word.trim_end_matches([';', '/', ',']);
            assert!(out.insert(m.to_string(), layer).is_none(), "{m} is in two layers");
        }
    }
    out
}

#[test]
fn no_module_imports_in_a_circle_or_against_the_documented_layers() {
    let modules = modules();
    let edges = edges(&modules);
    let found = circles(&edges);
    assert!(
        found.is_empty(),
        "modules that import each other in a circle: {:?}",
        found
            .iter()
            .map(|c| c.iter().map(|m| m.join("::")).collect::<Vec<_>>())
            .collect::<Vec<_>>()
    );
    let layers = layers();
    let top: BTreeSet<String> = modules.keys().filter_map(|m| m.first().cloned()).collect();
    for m in &top {
        assert!(layers.contains_key(m), "src/{m}: not in docs/architecture.md's layer block");
    }
    for name in layers.keys().filter(|n| !top.contains(*n)) {
        assert!(
            root().join(name).join("Cargo.toml").exists(),
            "docs/architecture.md's layer block names `{name}`, which is no module of src/ and no crate"
        );
    }
    let mut upward = Vec::new();
    let mut tops: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, tos) in &edges {
        for to in tos {
            let (a, b) = (&from[0], &to[0]);
            if a != b {
                tops.entry(a.clone()).or_default().insert(b.clone());
                if layers[b] > layers[a] {
                    upward.push(format!("{} -> {}", from.join("::"), to.join("::")));
                }
            }
        }
    }
    assert!(upward.is_empty(), "imports from a higher layer: {upward:?}");
    assert!(circles(&tops).is_empty(), "top-level modules in a circle: {:?}", circles(&tops));
}

/// The checker itself: a circle, a use tree and a higher layer are seen.
#[test]
fn the_checker_sees_circles_use_trees_and_layers() {
    let mut out = Vec::new();
    expand("crate::a::{b, c::{d, e as f}}", "", &mut out);
    assert_eq!(out, ["crate::a::b", "crate::a::c::d", "crate::a::c::e"]);
    let code = code("use super::{x, y};\n// crate::z::w\nlet s = \"crate::q\"; crate::r::f();\n");
    assert_eq!(paths(&code), ["super::x", "super::y", "crate::r::f"]);
    let e: BTreeMap<u8, BTreeSet<u8>> = [(1, [2].into()), (2, [3].into()), (3, [1].into()), (4, [1].into())].into();
    assert_eq!(circles(&e).len(), 1);
    let l = layers();
    assert!(l["error"] < l["model"] && l["model"] < l["calibrate"] && l["calibrate"] < l["report"] && l["report"] < l["cli"]);
}
