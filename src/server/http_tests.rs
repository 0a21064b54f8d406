//! The routes without sockets: requests built by hand, replies read as they are.

use std::sync::{Arc, OnceLock};

use super::*;
use crate::commands::serve::Explorer;
use crate::server::guard::{Guard, TOKEN_HEADER};

const ADDR: &str = "127.0.0.1:8123";

fn ctx() -> &'static Ctx {
    static CTX: OnceLock<Ctx> = OnceLock::new();
    CTX.get_or_init(|| {
        let explorer = Explorer::new("baseline", Some(1)).expect("the bundled baseline loads");
        Ctx {
            jobs: Arc::new(Jobs::new(explorer)),
            setup: "{}".into(),
            guard: Guard::new(ADDR.parse().unwrap()),
        }
    })
}

/// A request from the server's own page (its Host; its Origin and token when `page`).
fn req(method: &str, target: &str, page: bool) -> Request {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut headers = vec![("host".to_string(), ADDR.to_string())];
    if page {
        headers.push(("origin".into(), format!("http://{ADDR}")));
        headers.push((TOKEN_HEADER.into(), ctx().guard.token().into()));
    }
    Request {
        method: method.into(),
        path: path.into(),
        query: query.into(),
        headers,
        body: Vec::new(),
    }
}

fn with(mut r: Request, name: &str, value: &str) -> Request {
    r.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
    r.headers.push((name.into(), value.into()));
    r
}

fn json_post(body: &str) -> Request {
    let mut r = with(req("POST", "/api/run", true), "Content-Type", "application/json");
    r.body = body.as_bytes().to_vec();
    r
}

#[test]
fn queries_give_job_numbers_or_say_what_is_wrong() {
    assert_eq!(job_arg("a=3&b=4", "b"), Ok(4));
    assert!(job_arg("a=x", "a").unwrap_err().contains("expected a job number"));
    assert!(job_arg("", "a").unwrap_err().contains("missing"));
}

#[test]
fn the_guard_answers_first() {
    let c = ctx();
    let r = handle(&with(req("GET", "/api/pins", false), "Host", "127.0.0.1.nip.io:8123"), c);
    assert_eq!(r.status, 421);
    assert!(r.text().contains("\"field\":\"host\""), "{}", r.text());
    let r = handle(&with(req("GET", "/api/pins", false), "Origin", "http://evil.example"), c);
    assert_eq!(r.status, 403);
    for r in [
        req("POST", "/api/pin?job=1", false),
        with(req("POST", "/api/pin?job=1", false), "Origin", "http://evil.example"),
    ] {
        assert_eq!(handle(&r, c).status, 403);
        assert_eq!(before_body(&r, c).err().map(|r| r.status), Some(403));
    }
    // The page's own request reaches the route: no job 1 has finished.
    assert_eq!(handle(&req("POST", "/api/pin?job=1", true), c).status, 409);
}

#[test]
fn bodies_are_json_within_the_limit() {
    let c = ctx();
    let plain = with(req("POST", "/api/run", true), "Content-Type", "text/plain");
    assert_eq!(before_body(&plain, c).err().map(|r| r.status), Some(415));
    assert_eq!(handle(&plain, c).status, 415);
    assert!(matches!(before_body(&json_post(""), c), Ok(true)));
    assert!(matches!(before_body(&req("GET", "/api/setup", false), c), Ok(false)));
    let big = json_post(&format!(r#"{{"start":"x","name":"{}"}}"#, "x".repeat(MAX_BODY)));
    assert_eq!(handle(&big, c).status, 413);
    let bad = handle(&json_post("{\"start\":"), c);
    assert_eq!(bad.status, 400);
    assert!(bad.text().contains("not valid JSON"), "{}", bad.text());
    let unknown = handle(&json_post(r#"{"start":"dsr-surge","colour":"red"}"#), c);
    assert_eq!(unknown.status, 400);
    assert!(unknown.text().contains("unknown field `colour`"), "{}", unknown.text());
    let r = handle(&json_post(r#"{"start":"no-such-what-if"}"#), c);
    assert_eq!(r.status, 422);
    assert!(r.text().contains("\"field\":\"start\""), "{}", r.text());
}

#[test]
fn pages_methods_and_unknown_paths() {
    let c = ctx();
    let page = handle(&req("HEAD", "/", false), c);
    assert_eq!((page.status, page.kind), (200, "text/html; charset=utf-8"));
    assert!(page.text().contains("<script src=\"/app.js\">"));
    assert_eq!(handle(&req("GET", "/api/setup", false), c).text(), "{}");
    let r = handle(&req("GET", "/api/run", false), c);
    assert_eq!(r.status, 405);
    assert!(r.text().contains("GET is not allowed on /api/run"));
    assert_eq!(handle(&req("HEAD", "/api/events", false), c).status, 405);
    assert_eq!(handle(&req("GET", "/nowhere", false), c).status, 404);
    assert_eq!(handle(&req("GET", "/api/pair?a=1", false), c).status, 400);
    assert_eq!(handle(&req("GET", "/api/pair?a=1&b=2", false), c).status, 404);
}

#[test]
fn event_streams_are_limited_and_the_excess_is_told_when_to_retry() {
    let c = ctx();
    let open: Vec<Reply> = (0..MAX_STREAMS).map(|_| handle(&req("GET", "/api/events", false), c)).collect();
    assert!(open.iter().all(|r| r.status == 200 && matches!(r.body, Body::Events(_))));
    let full = handle(&req("GET", "/api/events", false), c);
    assert_eq!((full.status, full.retry_after), (503, Some(RETRY_AFTER)));
    assert!(full.text().contains("\"field\":\"events\""), "{}", full.text());
    drop(open);
    assert_eq!(handle(&req("GET", "/api/events", false), c).status, 200);
}
