//! Requests and responses: the routes, the limits on requests, and the answers to bad ones.
//!
//! | route | answer |
//! |---|---|
//! | `GET /`, `/app.js`, `/style.css` | the page (bundled into the binary; no network needed) |
//! | `GET /api/setup` | what the page draws itself from ([`super::setup`]) |
//! | `POST /api/run` | an [`AlternativeSpec`] as JSON: 202 with the job, its export and command; 422 with `{field, message}` (the CLI's message) for bad input |
//! | `GET /api/events` | the event stream ([`super::events`]) |
//! | `GET /api/pins`, `POST /api/pin?job=N`, `DELETE /api/pin?job=N` | pinned alternatives |
//! | `GET /api/pair?a=N&b=M` | pinned M against pinned N, as `comparison.json` |
//!
//! Request bodies are limited to [`MAX_BODY`] bytes (413 beyond), POSTs must be JSON (415
//! otherwise, which also keeps other web sites from starting jobs), and when bound to a loopback
//! address only requests naming a loopback host are served (421 otherwise: no DNS rebinding).

use std::io::Read;
use std::sync::Arc;

use serde_json::{Value, json};
use tiny_http::{Header, Method, Request, Response};

use super::jobs::Jobs;
use crate::commands::serve::AlternativeSpec;

/// Largest request body, in bytes.
pub const MAX_BODY: usize = 64 * 1024;

const INDEX: &str = include_str!("../../assets/serve/index.html");
const APP: &str = include_str!("../../assets/serve/app.js");
const STYLE: &str = include_str!("../../assets/serve/style.css");

/// What the routes share.
pub struct Ctx {
    /// The server's jobs.
    pub jobs: Arc<Jobs>,
    /// The JSON of `GET /api/setup`: what the page draws itself from.
    pub setup: String,
    /// Only loopback host names are accepted.
    pub loopback_only: bool,
}

fn header(k: &str, v: &str) -> Header {
    Header::from_bytes(k.as_bytes(), v.as_bytes()).expect("static header")
}

fn reply(req: Request, status: u16, kind: &str, body: String) {
    let r = Response::from_string(body)
        .with_status_code(status)
        .with_header(header("Content-Type", kind))
        .with_header(header("Cache-Control", "no-store"))
        .with_header(header("X-Content-Type-Options", "nosniff"))
        .with_header(header(
            "Content-Security-Policy",
            "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'",
        ));
    let _ = req.respond(r);
}

fn json_reply(req: Request, status: u16, v: &Value) {
    reply(req, status, "application/json", v.to_string());
}

fn error(req: Request, status: u16, field: &str, message: &str) {
    json_reply(req, status, &json!({"field": field, "message": message}));
}

/// The value of `name` in a query string.
fn query<'a>(q: &'a str, name: &str) -> Option<&'a str> {
    q.split('&')
        .find_map(|kv| kv.split_once('=').filter(|(k, _)| *k == name).map(|(_, v)| v))
}

fn job_arg(q: &str, name: &str) -> Result<u64, String> {
    let v = query(q, name).ok_or_else(|| format!("missing `{name}=JOB` in the query"))?;
    v.parse().map_err(|_| format!("`{name}={v}`: expected a job number"))
}

/// Whether the Host header names a loopback address.
fn loopback_host(req: &Request) -> bool {
    let Some(h) = req.headers().iter().find(|h| h.field.equiv("Host")) else {
        return false;
    };
    let host = h.value.as_str();
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host.split(':').next().unwrap_or("")
    };
    matches!(name, "localhost" | "127.0.0.1" | "::1") || name.starts_with("127.")
}

/// Read a JSON body within the limit.
fn body(req: &mut Request) -> Result<Value, (u16, String)> {
    let is_json = req
        .headers()
        .iter()
        .any(|h| h.field.equiv("Content-Type") && h.value.as_str().starts_with("application/json"));
    if !is_json {
        return Err((415, "expected a JSON body (Content-Type: application/json)".into()));
    }
    if req.body_length().is_some_and(|n| n > MAX_BODY) {
        return Err((413, format!("the request body is larger than {MAX_BODY} bytes")));
    }
    let mut buf = Vec::new();
    req.as_reader()
        .take(MAX_BODY as u64 + 1)
        .read_to_end(&mut buf)
        .map_err(|e| (400, format!("cannot read the request: {e}")))?;
    if buf.len() > MAX_BODY {
        return Err((413, format!("the request body is larger than {MAX_BODY} bytes")));
    }
    serde_json::from_slice(&buf).map_err(|e| (400, format!("the request body is not valid JSON: {e}")))
}

/// Answer one request.
pub fn handle(mut req: Request, ctx: &Ctx) {
    if ctx.loopback_only && !loopback_host(&req) {
        return error(req, 421, "host", "this server answers requests to localhost or 127.0.0.1 only");
    }
    let url = req.url().to_string();
    let (path, q) = url.split_once('?').unwrap_or((&url, ""));
    let method = req.method().clone();
    match (&method, path) {
        (Method::Get, "/" | "/index.html") => reply(req, 200, "text/html; charset=utf-8", INDEX.into()),
        (Method::Get, "/app.js") => reply(req, 200, "text/javascript; charset=utf-8", APP.into()),
        (Method::Get, "/style.css") => reply(req, 200, "text/css; charset=utf-8", STYLE.into()),
        (Method::Get, "/api/setup") => reply(req, 200, "application/json", ctx.setup.clone()),
        (Method::Get, "/api/events") => ctx.jobs.hub.stream(req.into_writer()),
        (Method::Post, "/api/run") => {
            let v = match body(&mut req) {
                Ok(v) => v,
                Err((s, m)) => return error(req, s, "request", &m),
            };
            let spec: AlternativeSpec = match serde_path_to_error::deserialize(v) {
                Ok(s) => s,
                Err(e) => return error(req, 400, "request", &format!("`{}`: {}", e.path(), e.inner())),
            };
            match ctx.jobs.submit(&spec) {
                Ok(v) => json_reply(req, 202, &v),
                Err(e) => error(req, 422, &e.field, &e.message),
            }
        }
        (Method::Get, "/api/pins") => json_reply(req, 200, &ctx.jobs.pins()),
        (Method::Post | Method::Delete, "/api/pin") => {
            let job = match job_arg(q, "job") {
                Ok(j) => j,
                Err(m) => return error(req, 400, "job", &m),
            };
            if method == Method::Post {
                match ctx.jobs.pin(job) {
                    Ok(v) => json_reply(req, 200, &v),
                    Err((s, m)) => error(req, s, "pin", &m),
                }
            } else {
                json_reply(req, 200, &ctx.jobs.unpin(job))
            }
        }
        (Method::Get, "/api/pair") => match (job_arg(q, "a"), job_arg(q, "b")) {
            (Ok(a), Ok(b)) => match ctx.jobs.pair(a, b) {
                Ok(v) => json_reply(req, 200, &v),
                Err((s, m)) => error(req, s, "pair", &m),
            },
            (Err(m), _) | (_, Err(m)) => error(req, 400, "pair", &m),
        },
        (
            _,
            "/" | "/index.html" | "/app.js" | "/style.css" | "/api/setup" | "/api/events" | "/api/run" | "/api/pins" | "/api/pin"
            | "/api/pair",
        ) => error(req, 405, "method", &format!("{method} is not allowed on {path}")),
        _ => error(req, 404, "path", &format!("no such page: {path}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_give_job_numbers_or_say_what_is_wrong() {
        assert_eq!(job_arg("a=3&b=4", "b"), Ok(4));
        assert!(job_arg("a=x", "a").unwrap_err().contains("expected a job number"));
        assert!(job_arg("", "a").unwrap_err().contains("missing"));
    }
}
