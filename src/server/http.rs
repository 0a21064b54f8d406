//! The routes, the answers to bad requests, and nothing of sockets: a `Request` (method, path,
//! query, headers, body) goes in, a `Reply` (status, content type, body or event stream,
//! optional `Retry-After`) comes out, so every route is tested without a connection. The
//! transport ([`super::transport`]) reads the request within its limits and writes the reply.
//!
//! | route | answer |
//! |---|---|
//! | `GET /`, `/app.js`, `/style.css` | the page (bundled into the binary; no network needed) |
//! | `GET /api/setup` | what the page draws itself from ([`super::setup`]) |
//! | `POST /api/run` | an [`AlternativeSpec`] as JSON: 202 with the job, its export and command; 422 with `{field, message}` (the CLI's message) for bad input |
//! | `GET /api/events` | the event stream ([`super::events`]); 503 with `Retry-After` when [`super::events::MAX_STREAMS`] are open |
//! | `GET /api/pins`, `POST /api/pin?job=N`, `DELETE /api/pin?job=N` | pinned alternatives |
//! | `GET /api/pair?a=N&b=M` | pinned M against pinned N, as `comparison.json`, with what differs |
//! | `GET /api/watch?job=N&run=R` | run R of a kept finished job, both scenarios, year by year |
//! | `POST /api/response` | a [`ResponseSpec`] as JSON: 202 with the job; its points arrive as `response` events |
//!
//! Every request must name the server by an exact host (421 otherwise: no DNS rebinding), a
//! request with an `Origin` must come from the server's own page (403), and POST and DELETE must
//! carry that `Origin` and the page's token (403 otherwise: no cross-site requests); see
//! [`super::guard`]. Request bodies are limited to [`MAX_BODY`] bytes (413 beyond) and POSTs must
//! be JSON (415 otherwise). HEAD is answered as GET without the body.

use std::sync::Arc;

use serde_json::Value;

use super::events::MAX_STREAMS;
use super::jobs::Jobs;
use super::message::json_reply;
pub(crate) use super::message::{Body, Reply, Request, error};
use crate::commands::serve::{AlternativeSpec, ResponseSpec};

/// Largest request body, in bytes.
pub const MAX_BODY: usize = 64 * 1024;
/// Seconds a client is told to wait when the server is full (`Retry-After`).
pub const RETRY_AFTER: u32 = 1;

const INDEX: &str = include_str!("../../assets/serve/index.html");
const APP: &str = include_str!("../../assets/serve/app.js");
const STYLE: &str = include_str!("../../assets/serve/style.css");
const ROUTES: [&str; 12] = [
    "/",
    "/index.html",
    "/app.js",
    "/style.css",
    "/api/setup",
    "/api/events",
    "/api/run",
    "/api/pins",
    "/api/pin",
    "/api/pair",
    "/api/watch",
    "/api/response",
];

/// What the routes share.
pub struct Ctx {
    /// The server's jobs.
    pub jobs: Arc<Jobs>,
    /// The JSON of `GET /api/setup`: what the page draws itself from.
    pub setup: String,
    /// Which hosts, origins and tokens are accepted.
    pub guard: super::guard::Guard,
}

/// 413: a body over [`MAX_BODY`].
pub(crate) fn too_large() -> Reply {
    error(413, "request", &format!("the request body is larger than {MAX_BODY} bytes"))
}

/// The value of `name` in a query string.
fn query<'a>(q: &'a str, name: &str) -> Option<&'a str> {
    q.split('&')
        .find_map(|kv| kv.split_once('=').filter(|(k, _)| *k == name).map(|(_, v)| v))
}

fn job_arg(q: &str, name: &str) -> Result<u64, String> {
    number_arg(q, name, "JOB", "a job number")
}

fn number_arg(q: &str, name: &str, placeholder: &str, what: &str) -> Result<u64, String> {
    let v = query(q, name).ok_or_else(|| format!("missing `{name}={placeholder}` in the query"))?;
    v.parse().map_err(|_| format!("`{name}={v}`: expected {what}"))
}

/// The refusal of a request that does not come from the server's own page, if it does not.
fn refusal(req: &Request, ctx: &Ctx) -> Option<Reply> {
    use super::guard::{Guard, TOKEN_HEADER};
    let host = req.header("Host").unwrap_or("");
    if !ctx.guard.host_ok(host) {
        let m = format!("Host `{host}`: this server answers localhost, loopback addresses and its own address, with its port");
        return Some(error(421, "host", &m));
    }
    let origin = req.header("Origin");
    if let Some(o) = origin
        && !Guard::same_origin(o, host)
    {
        return Some(error(
            403,
            "origin",
            &format!("Origin `{o}`: only this server's own page may call it"),
        ));
    }
    let changes = matches!(req.method.as_str(), "POST" | "DELETE" | "PUT" | "PATCH");
    if changes && origin.is_none() {
        return Some(error(
            403,
            "origin",
            "a request that changes something must carry this page's Origin",
        ));
    }
    if changes && !ctx.guard.token_ok(req.header(TOKEN_HEADER)) {
        let m = format!("a request that changes something must carry this page's {TOKEN_HEADER}");
        return Some(error(403, "token", &m));
    }
    None
}

fn reads_body(req: &Request) -> bool {
    req.method == "POST" && matches!(req.path.as_str(), "/api/run" | "/api/response")
}

/// A JSON body read into `T`, naming the path of a malformed value (400).
fn parse<T: serde::de::DeserializeOwned>(req: &Request) -> Result<T, Reply> {
    serde_path_to_error::deserialize(body(req)?).map_err(|e| error(400, "request", &format!("`{}`: {}", e.path(), e.inner())))
}

fn is_json(req: &Request) -> bool {
    req.header("Content-Type").is_some_and(|v| v.starts_with("application/json"))
}

fn not_json() -> Reply {
    error(415, "request", "expected a JSON body (Content-Type: application/json)")
}

/// What the head alone decides, before any body is read: a refusal (421, 403, 415) to send at
/// once, or whether the route reads a body (which the transport then reads within [`MAX_BODY`]).
pub(crate) fn before_body(req: &Request, ctx: &Ctx) -> Result<bool, Reply> {
    if let Some(r) = refusal(req, ctx) {
        return Err(r);
    }
    if reads_body(req) && !is_json(req) {
        return Err(not_json());
    }
    Ok(reads_body(req))
}

/// The JSON body of a request.
fn body(req: &Request) -> Result<Value, Reply> {
    if !is_json(req) {
        return Err(not_json());
    }
    if req.body.len() > MAX_BODY {
        return Err(too_large());
    }
    serde_json::from_slice(&req.body).map_err(|e| error(400, "request", &format!("the request body is not valid JSON: {e}")))
}

/// The answer to a submitted job: 202, 422 beside the field, or 503 when the queue is full.
fn submitted(r: Result<Value, crate::commands::serve::InputError>) -> Reply {
    match r {
        Ok(v) => json_reply(202, &v),
        Err(e) if e.field == super::jobs::BUSY => Reply {
            retry_after: Some(RETRY_AFTER),
            ..error(503, &e.field, &e.message)
        },
        Err(e) => error(422, &e.field, &e.message),
    }
}

/// Answer one request (synchronous: building a model takes milliseconds).
pub(crate) fn handle(req: &Request, ctx: &Ctx) -> Reply {
    if let Some(r) = refusal(req, ctx) {
        return r;
    }
    let (method, path, q) = (req.method.as_str(), req.path.as_str(), req.query.as_str());
    // HEAD is GET without the body (the transport leaves the body out); the stream has no HEAD.
    let route = if method == "HEAD" && path != "/api/events" { "GET" } else { method };
    match (route, path) {
        ("GET", "/" | "/index.html") => Reply::bytes(200, "text/html; charset=utf-8", INDEX),
        ("GET", "/app.js") => Reply::bytes(200, "text/javascript; charset=utf-8", APP),
        ("GET", "/style.css") => Reply::bytes(200, "text/css; charset=utf-8", STYLE),
        ("GET", "/api/setup") => Reply::bytes(200, "application/json", ctx.setup.clone()),
        ("GET", "/api/events") => match ctx.jobs.hub.subscribe() {
            Some(sub) => Reply {
                status: 200,
                kind: "text/event-stream",
                body: Body::Events(sub),
                retry_after: None,
            },
            None => Reply {
                retry_after: Some(RETRY_AFTER),
                ..error(
                    503,
                    "events",
                    &format!("{MAX_STREAMS} event streams are open, the most at once: retry later"),
                )
            },
        },
        ("POST", "/api/run") => match parse::<AlternativeSpec>(req) {
            Ok(spec) => submitted(ctx.jobs.submit(&spec)),
            Err(r) => r,
        },
        ("POST", "/api/response") => match parse::<ResponseSpec>(req) {
            Ok(spec) => submitted(ctx.jobs.submit_response(&spec)),
            Err(r) => r,
        },
        ("GET", "/api/watch") => match (job_arg(q, "job"), number_arg(q, "run", "RUN", "a run number, from 0")) {
            (Ok(j), Ok(r)) => match ctx.jobs.watch(j, r) {
                Ok(v) => json_reply(200, &v),
                Err((s, m)) => error(s, "watch", &m),
            },
            (Err(m), _) | (_, Err(m)) => error(400, "watch", &m),
        },
        ("GET", "/api/pins") => json_reply(200, &ctx.jobs.pins()),
        ("POST" | "DELETE", "/api/pin") => match job_arg(q, "job") {
            Err(m) => error(400, "job", &m),
            Ok(job) if method == "POST" => match ctx.jobs.pin(job) {
                Ok(v) => json_reply(200, &v),
                Err((s, m)) => error(s, "pin", &m),
            },
            Ok(job) => json_reply(200, &ctx.jobs.unpin(job)),
        },
        ("GET", "/api/pair") => match (job_arg(q, "a"), job_arg(q, "b")) {
            (Ok(a), Ok(b)) => match ctx.jobs.pair(a, b) {
                Ok(v) => json_reply(200, &v),
                Err((s, m)) => error(s, "pair", &m),
            },
            (Err(m), _) | (_, Err(m)) => error(400, "pair", &m),
        },
        _ if ROUTES.contains(&path) => error(405, "method", &format!("{method} is not allowed on {path}")),
        _ => error(404, "path", &format!("no such page: {path}")),
    }
}

#[cfg(test)]
#[path = "http_tests.rs"]
mod tests;
