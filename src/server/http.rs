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
//! Every request must name the server by an exact host (421 otherwise: no DNS rebinding), a
//! request with an `Origin` must come from the server's own page (403), and POST and DELETE must
//! carry that `Origin` and the page's token (403 otherwise: no cross-site requests); see
//! [`super::guard`]. Request bodies are limited to [`MAX_BODY`] bytes (413 beyond) and POSTs must
//! be JSON (415 otherwise). HEAD is answered as GET without the body.

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
    /// Which hosts, origins and tokens are accepted.
    pub guard: super::guard::Guard,
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

/// The value of the request's header `name`, if present.
fn header_value<'a>(req: &'a Request, name: &'static str) -> Option<&'a str> {
    req.headers().iter().find(|h| h.field.equiv(name)).map(|h| h.value.as_str())
}

/// The refusal of a request that does not come from the server's own page, if it does not.
fn refusal(req: &Request, ctx: &Ctx) -> Option<(u16, &'static str, String)> {
    use super::guard::{Guard, TOKEN_HEADER};
    let host = header_value(req, "Host").unwrap_or("");
    if !ctx.guard.host_ok(host) {
        return Some((
            421,
            "host",
            format!("Host `{host}`: this server answers localhost, loopback addresses and its own address, with its port"),
        ));
    }
    let origin = header_value(req, "Origin");
    if let Some(o) = origin
        && !Guard::same_origin(o, host)
    {
        return Some((403, "origin", format!("Origin `{o}`: only this server's own page may call it")));
    }
    let changes = matches!(req.method(), Method::Post | Method::Delete | Method::Put | Method::Patch);
    if changes && origin.is_none() {
        return Some((
            403,
            "origin",
            "a request that changes something must carry this page's Origin".into(),
        ));
    }
    if changes && !ctx.guard.token_ok(header_value(req, TOKEN_HEADER)) {
        return Some((
            403,
            "token",
            format!("a request that changes something must carry this page's {TOKEN_HEADER}"),
        ));
    }
    None
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
    if let Some((status, field, message)) = refusal(&req, ctx) {
        return error(req, status, field, &message);
    }
    let url = req.url().to_string();
    let (path, q) = url.split_once('?').unwrap_or((&url, ""));
    let method = req.method().clone();
    // HEAD is GET without the body (tiny_http leaves the body out); the stream has no HEAD.
    let route = match method {
        Method::Head if path != "/api/events" => Method::Get,
        ref m => m.clone(),
    };
    match (&route, path) {
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
        (Method::Post, "/api/response") => {
            let v = match body(&mut req) {
                Ok(v) => v,
                Err((s, m)) => return error(req, s, "request", &m),
            };
            let spec: crate::commands::serve::ResponseSpec = match serde_path_to_error::deserialize(v) {
                Ok(s) => s,
                Err(e) => return error(req, 400, "request", &format!("`{}`: {}", e.path(), e.inner())),
            };
            match ctx.jobs.submit_response(&spec) {
                Ok(v) => json_reply(req, 202, &v),
                Err(e) => error(req, 422, &e.field, &e.message),
            }
        }
        (Method::Get, "/api/watch") => match (job_arg(q, "job"), job_arg(q, "run")) {
            (Ok(j), Ok(r)) => match ctx.jobs.watch(j, r) {
                Ok(v) => json_reply(req, 200, &v),
                Err((s, m)) => error(req, s, "watch", &m),
            },
            (Err(m), _) | (_, Err(m)) => error(req, 400, "watch", &m),
        },
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
            | "/api/pair" | "/api/watch" | "/api/response",
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
