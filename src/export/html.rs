//! The HTML every page of blocsim shares: escaping, and the head of a self-contained page with its
//! style sheet (`report.html` of a batch, of a comparison and of a hindcast).

use std::fmt::Write as _;

/// HTML-escape text.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

/// The start of a page: document head with the style sheet, and the title as a heading.
pub(crate) fn page_head(h: &mut String, title: &str) {
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>\n{}</style>\n</head>\n<body>\n",
        esc(title),
        CSS
    );
    let _ = writeln!(h, "<h1>{}</h1>", esc(title));
}

const CSS: &str = "body{font-family:'DejaVu Sans',Verdana,sans-serif;color:#222;max-width:1080px;margin:24px auto;padding:0 16px;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}h3{margin-top:1.4em}
.lead{color:#555}.note{background:#fff8e5;border-left:4px solid #E69F00;padding:6px 10px}
nav a{margin-right:1em}table{border-collapse:collapse;margin:.6em 0 1em}th,td{padding:3px 10px;border-bottom:1px solid #e5e5e5;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums}.id{color:#777;font-size:.85em}
.sw{display:inline-block;width:.9em;height:.9em;margin-right:.35em;vertical-align:-.1em}
figure{margin:1em 0 2em}figure svg{max-width:100%;height:auto;display:block}figcaption{font-size:.85em;color:#555}
code{font-size:.9em;word-break:break-all}
";
