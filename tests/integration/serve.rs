//! `blocsim serve` over HTTP: the binary is started on port 0, alternatives are posted to
//! `/api/run`, and the event stream `/api/events` is read as a page would read it. The final
//! event must be `blocsim compare`'s `comparison.json`, byte for byte; a second edit cancels the
//! first; bad input gets the CLI's message with a 4xx status.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_blocsim");

/// A running `blocsim serve`, stopped on drop.
struct Served {
    child: Child,
    addr: String,
    /// The page's token, read from `/api/setup` as the page reads it.
    token: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve() -> Served {
    let mut child = Command::new(BIN)
        .args(["serve", "baseline", "--port", "0", "--threads", "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start blocsim serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    // Built first, so that a failure below still stops the server.
    let mut served = Served {
        child,
        addr,
        token: String::new(),
    };
    let addr = &served.addr;
    let (status, setup) = raw(
        addr,
        &format!("GET /api/setup HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
        b"",
    );
    assert_eq!(status, 200, "{setup}");
    let setup: Value = serde_json::from_str(&setup).unwrap_or_else(|e| panic!("{e}: {setup}"));
    served.token = setup["token"].as_str().expect("the setup carries the page's token").to_string();
    served
}

/// Send `head` and `body` as they are; returns (status, body).
fn raw(addr: &str, head: &str, body: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    let _ = s.write_all(body);
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    let status = out.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    let chunked = head.lines().any(|l| l.eq_ignore_ascii_case("transfer-encoding: chunked"));
    (status, if chunked { dechunk(body) } else { body.to_string() })
}

/// The body of a chunked response.
fn dechunk(mut rest: &str) -> String {
    let mut body = String::new();
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || tail.len() < n {
            break;
        }
        body.push_str(&tail[..n]);
        rest = tail[n..].trim_start_matches("\r\n");
    }
    body
}

/// One request as the page makes it (its Origin and token); returns (status, body).
fn request(s: &Served, method: &str, path: &str, kind: &str, body: &[u8]) -> (u16, String) {
    let (addr, token) = (&s.addr, &s.token);
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\nX-Blocsim-Token: {token}\r\n\
         Content-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    raw(addr, &head, body)
}

fn post_run(s: &Served, spec: &str) -> (u16, Value) {
    let (status, body) = request(s, "POST", "/api/run", "application/json", spec.as_bytes());
    (status, serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}")))
}

/// An event of the stream: name, id and data.
#[derive(Debug)]
struct Event {
    name: String,
    id: Option<u64>,
    data: String,
}

/// The event stream, read block by block.
struct Stream(BufReader<TcpStream>);

impl Stream {
    fn open(addr: &str) -> Stream {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
        write!(s, "GET /api/events HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
        let mut r = BufReader::new(s);
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        assert!(line.starts_with("HTTP/1.1 200"), "{line}");
        Stream(r)
    }

    fn next(&mut self) -> Event {
        let mut e = Event {
            name: String::new(),
            id: None,
            data: String::new(),
        };
        let mut lines = 0;
        loop {
            let mut line = String::new();
            assert!(self.0.read_line(&mut line).unwrap() > 0, "the stream ended");
            let line = line.trim_end_matches(['\r', '\n']);
            if line.is_empty() {
                if !e.name.is_empty() {
                    return e;
                }
                continue;
            }
            if let Some(v) = line.strip_prefix("event: ") {
                e.name = v.to_string();
            } else if let Some(v) = line.strip_prefix("id: ") {
                e.id = v.parse().ok();
            } else if let Some(v) = line.strip_prefix("data: ") {
                if lines > 0 {
                    e.data.push('\n');
                }
                e.data.push_str(v);
                lines += 1;
            }
        }
    }

    /// Events until the final one of `job`, which is returned last.
    fn until_final(&mut self, job: u64) -> Vec<Event> {
        let mut out = Vec::new();
        loop {
            let e = self.next();
            let done = e.name == "final" && e.id == Some(job);
            out.push(e);
            if done {
                return out;
            }
        }
    }
}

fn job_of(e: &Event) -> Option<u64> {
    e.id.or_else(|| serde_json::from_str::<Value>(&e.data).ok()?.get("job")?.as_u64())
}

/// `blocsim compare` run on the exported file and command of a reply, in `dir`.
fn cli_comparison(reply: &Value, dir: &Path) -> Vec<u8> {
    std::fs::write(dir.join(reply["file"].as_str().unwrap()), reply["toml"].as_str().unwrap()).unwrap();
    let words: Vec<String> = shell_words(reply["command"].as_str().unwrap());
    assert_eq!(&words[..2], ["blocsim", "compare"]);
    let out = Command::new(BIN)
        .args(&words[1..])
        .args(["--out", "out", "--no-plots"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::read(dir.join("out/comparison.json")).unwrap()
}

/// Split a command line written with single quotes where needed.
fn shell_words(s: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted, mut any) = (Vec::new(), String::new(), false, false);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                quoted = !quoted;
                any = true;
            }
            '\\' if !quoted => cur.extend(chars.next()),
            ' ' if !quoted => {
                if any || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                any = false;
            }
            c => cur.push(c),
        }
    }
    if any || !cur.is_empty() {
        out.push(cur);
    }
    out
}

#[test]
fn the_final_event_is_blocsim_compares_json_and_progress_is_monotone() {
    let s = serve();
    let mut events = Stream::open(&s.addr);
    let spec = r#"{"start":"dsr-surge","runs":120,"seed":11,"sets":["choice.lambda=2.2","domain.cloud.switching_cost=0.4"],
                   "events":[{"enabled":true,"event":{"kind":"set","year":2026,"path":"framework.CN.sponsor.budget","scale":3}},
                             {"enabled":false,"event":{"kind":"set","year":2026,"path":"domain.telecom.standards.CN","value":0.3}}]}"#;
    let (status, reply) = post_run(&s, spec);
    assert_eq!(status, 202, "{reply}");
    let job = reply["job"].as_u64().unwrap();
    let got = events.until_final(job);
    let progress: Vec<Value> = got
        .iter()
        .filter(|e| e.name == "progress")
        .map(|e| serde_json::from_str(&e.data).unwrap())
        .collect();
    assert!(progress.len() >= 2, "{} progress events", progress.len());
    let done: Vec<u64> = progress.iter().map(|p| p["done"].as_u64().unwrap()).collect();
    assert!(done.windows(2).all(|w| w[0] < w[1]), "{done:?}");
    assert_eq!(*done.last().unwrap(), 120);
    assert!(progress[0]["provisional"].as_bool().unwrap());
    assert!(!progress.last().unwrap()["provisional"].as_bool().unwrap());
    // Every provisional comparison covers the runs done so far.
    for p in &progress {
        assert_eq!(p["comparison"]["runs"], p["done"]);
    }
    let fin = got.last().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cli = cli_comparison(&reply, dir.path());
    assert_eq!(
        format!("{}\n", fin.data).into_bytes(),
        cli,
        "final event differs from comparison.json"
    );
    // The last progress event carries the same numbers.
    let last: Value = serde_json::from_slice(&cli).unwrap();
    assert_eq!(progress.last().unwrap()["comparison"], last);

    // The same alternative again reuses the cached baseline and gives the same bytes.
    let (_, again) = post_run(&s, spec);
    assert_eq!(again["cached_baseline_runs"], 120);
    let fin2 = events.until_final(again["job"].as_u64().unwrap()).pop().unwrap();
    assert_eq!(fin2.data, fin.data);
}

#[test]
fn an_edit_followed_at_once_by_another_finishes_only_the_second() {
    let s = serve();
    let mut events = Stream::open(&s.addr);
    let (sa, a) = post_run(&s, r#"{"start":"eurostack","runs":2000,"seed":3}"#);
    let (sb, b) = post_run(&s, r#"{"start":"us-retreat","runs":40,"seed":4}"#);
    assert_eq!((sa, sb), (202, 202));
    let (ja, jb) = (a["job"].as_u64().unwrap(), b["job"].as_u64().unwrap());
    let got = events.until_final(jb);
    assert!(got.iter().any(|e| e.name == "cancelled" && job_of(e) == Some(ja)), "{got:?}");
    assert!(!got.iter().any(|e| e.name == "final" && job_of(e) == Some(ja)));
    // The first job did at most one chunk (4 runs, then 32 per chunk on 2 threads) after the second was posted.
    let a_done = got
        .iter()
        .filter(|e| e.name == "progress" && job_of(e) == Some(ja))
        .filter_map(|e| serde_json::from_str::<Value>(&e.data).ok()?["done"].as_u64())
        .max()
        .unwrap_or(0);
    assert!(a_done < 2000, "the first job ran to the end");
    let fin: Value = serde_json::from_str(&got.last().unwrap().data).unwrap();
    assert_eq!((fin["alternative"].as_str(), fin["runs"].as_u64()), (Some("us-retreat"), Some(40)));
}

#[test]
fn bad_input_gets_the_command_lines_message_with_a_4xx_status() {
    let s = serve();
    for (set, field) in [
        ("choice.lamda=2", "sets[0]"),
        ("choice.lambda=-1", "sets[0]"),
        ("nonsense", "sets[0]"),
    ] {
        let (status, reply) = post_run(&s, &format!(r#"{{"start":"dsr-surge","sets":["{set}"]}}"#));
        assert_eq!(status, 422, "{reply}");
        assert_eq!(reply["field"], field);
        let cli = Command::new(BIN).args(["check", "dsr-surge", "--set", set]).output().unwrap();
        assert_eq!(cli.status.code(), Some(2));
        let message = String::from_utf8_lossy(&cli.stderr).trim_end().to_string();
        assert_eq!(reply["message"].as_str().unwrap(), message);
    }
    // An event's bad year is shown beside that event (the second of the page's list, the first being off).
    let (status, reply) = post_run(
        &s,
        r#"{"start":"dsr-surge","events":[{"enabled":false,"event":{"kind":"set","year":2026,"path":"choice.lambda","value":2}},
                                          {"enabled":true,"event":{"kind":"set","year":1990,"path":"choice.lambda","value":2}}]}"#,
    );
    assert_eq!((status, reply["field"].as_str()), (422, Some("events[1]")), "{reply}");
    assert!(
        reply["message"].as_str().unwrap().contains("`event[0].year`: expected a year"),
        "{reply}"
    );
    let (status, reply) = post_run(&s, r#"{"start":"dsr-surge","runs":1}"#);
    assert_eq!((status, reply["field"].as_str()), (422, Some("runs")));
    let (status, reply) = post_run(&s, r#"{"start":"no-such-what-if"}"#);
    assert_eq!((status, reply["field"].as_str()), (422, Some("start")));
    let (status, reply) = post_run(&s, r#"{"start":"dsr-surge","colour":"red"}"#);
    assert_eq!(status, 400, "{reply}");
    assert!(reply["message"].as_str().unwrap().contains("unknown field `colour`"));
    let big = format!(r#"{{"start":"dsr-surge","name":"{}"}}"#, "x".repeat(70_000));
    let (status, _) = request(&s, "POST", "/api/run", "application/json", big.as_bytes());
    assert_eq!(status, 413);
    let (status, _) = request(&s, "POST", "/api/run", "text/plain", b"{}");
    assert_eq!(status, 415);
    let (status, _) = request(&s, "GET", "/nowhere", "text/plain", b"");
    assert_eq!(status, 404);
    // Still serving.
    let (status, page) = request(&s, "GET", "/", "text/plain", b"");
    assert_eq!(status, 200);
    assert!(page.contains("<script src=\"/app.js\">"));
}

#[test]
fn pinned_alternatives_pair_with_each_other_on_the_same_streams() {
    let s = serve();
    let mut events = Stream::open(&s.addr);
    let mut jobs = Vec::new();
    for name in ["dsr-surge", "twin", "dsr-surge"] {
        let (_, r) = post_run(&s, &format!(r#"{{"start":"dsr-surge","name":"{name}","runs":30,"seed":9}}"#));
        let j = r["job"].as_u64().unwrap();
        events.until_final(j);
        let (status, body) = request(&s, "POST", &format!("/api/pin?job={j}"), "application/json", b"");
        assert_eq!(status, 200, "{body}");
        let pins: Value = serde_json::from_str(&body).unwrap();
        if jobs.len() == 2 {
            // The very same alternative again (a reloaded page, say) stays one pin.
            assert_eq!(pins["duplicate_of"], jobs[0], "{pins}");
            assert_eq!(pins["pins"].as_array().unwrap().len(), 2, "{pins}");
        } else {
            assert_eq!(pins["pins"][jobs.len()]["changes"][0], "starts from dsr-surge", "{pins}");
        }
        jobs.push(j);
    }
    // The same alternative under two names: every paired difference is exactly zero.
    let (status, body) = request(&s, "GET", &format!("/api/pair?a={}&b={}", jobs[0], jobs[1]), "text/plain", b"");
    assert_eq!(status, 200, "{body}");
    let pair: Value = serde_json::from_str(&body).unwrap();
    for o in pair["outcomes"].as_array().unwrap() {
        assert_eq!(o["diff_mean"], 0.0, "{o}");
    }
    let (status, _) = request(&s, "GET", "/api/pair?a=1&b=99", "text/plain", b"");
    assert_eq!(status, 404);
}

/// What a hostile page in the same browser could send: a rebound DNS name, another site's Origin,
/// a state-changing request without the page's Origin or token. Each is refused with its status,
/// and the server then still serves its own page at once.
#[test]
fn requests_from_other_sites_and_rebound_names_are_refused() {
    let s = serve();
    let addr = &s.addr;
    let port = addr.rsplit(':').next().unwrap();
    let get = |host: &str, extra: &str| {
        raw(
            addr,
            &format!("GET /api/pins HTTP/1.1\r\nHost: {host}\r\n{extra}Connection: close\r\n\r\n"),
            b"",
        )
    };
    for host in [
        format!("127.evil.example:{port}"),
        format!("localhost.evil:{port}"),
        format!("evil.example:{port}"),
        "127.0.0.1:1".into(),
        String::new(),
    ] {
        assert_eq!(get(&host, "").0, 421, "Host {host}");
    }
    assert_eq!(get(&format!("localhost:{port}"), "").0, 200);
    assert_eq!(get(addr, "Origin: http://evil.example\r\n").0, 403);
    assert_eq!(get(addr, &format!("Origin: http://{addr}\r\n")).0, 200);
    let post = |headers: &str| {
        raw(
            addr,
            &format!("POST /api/pin?job=1 HTTP/1.1\r\nHost: {addr}\r\n{headers}Content-Length: 0\r\nConnection: close\r\n\r\n"),
            b"",
        )
    };
    let token = format!("X-Blocsim-Token: {}\r\n", s.token);
    for (headers, what) in [
        (String::new(), "no Origin, no token"),
        (token.clone(), "no Origin"),
        (format!("Origin: http://{addr}\r\n"), "no token"),
        (
            format!("Origin: http://{addr}\r\nX-Blocsim-Token: {}\r\n", "0".repeat(32)),
            "a wrong token",
        ),
        (format!("Origin: http://evil.example\r\n{token}"), "another site's Origin"),
        ("Origin: null\r\n".to_string() + &token, "an opaque Origin"),
    ] {
        let (status, body) = post(&headers);
        assert_eq!(status, 403, "{what}: {body}");
    }
    // The page's own request reaches the route (no job 1 yet: the pin route answers itself).
    let (status, body) = post(&format!("Origin: http://{addr}\r\n{token}"));
    assert_ne!(status, 403, "{body}");
    // A world of millions of states is refused before it is built.
    let started = std::time::Instant::now();
    let (status, reply) = post_run(
        &s,
        r#"{"start":"baseline","sets":["world.source=\"synthetic\"","world.synthetic.agents=5000000","world.synthetic.degree=50"]}"#,
    );
    assert_eq!((status, reply["field"].as_str()), (422, Some("alternative")), "{reply}");
    assert!(
        reply["message"].as_str().unwrap().contains("keeps the baseline's 183 states"),
        "{reply}"
    );
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
    // The page may not make the server read its files.
    for (set, key) in [
        (r#"world.custom.agents=\"/etc/passwd\""#, "world.custom.agents"),
        (
            r#"world={source=\"custom\",custom={agents=\"/etc/passwd\",ties=\"/etc/hosts\"}}"#,
            "world.custom.agents",
        ),
        (r#"world.data_dir=\"/etc\""#, "world.data_dir"),
        (r#"joint.j.draws=\"/etc/passwd\""#, "joint.j.draws"),
    ] {
        let (status, reply) = post_run(&s, &format!(r#"{{"start":"baseline","sets":["{set}"]}}"#));
        assert_eq!((status, reply["field"].as_str()), (422, Some("sets[0]")), "{reply}");
        assert!(
            reply["message"].as_str().unwrap().contains(&format!("`{key}` names a file")),
            "{reply}"
        );
    }
    // HEAD is GET without the body.
    let (status, body) = raw(addr, &format!("HEAD / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"), b"");
    assert_eq!((status, body.as_str()), (200, ""));
    // Still serving its own page, at once.
    let started = std::time::Instant::now();
    let (status, page) = request(&s, "GET", "/", "text/plain", b"");
    assert!(status == 200 && page.contains("<script src=\"/app.js\">"));
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
}

/// The exported file alone reproduces the page: a `--set` that replaces an inherited value (λ's
/// uniform distribution by a fixed value, then by a lognormal) is written into the file, and
/// `blocsim compare BASELINE FILE --runs R --seed S` gives the final event byte for byte; the start
/// what-if sent back as the page sends it (2 for 2.0) stays unedited.
#[test]
fn the_export_alone_reproduces_the_page_and_unedited_stays_unedited() {
    let s = serve();
    let own = r#"[{"enabled":true,"event":{"kind":"set","year":2026,"path":"framework.CN.sponsor.budget","scale":2}},
                  {"enabled":true,"event":{"kind":"set","year":2026,"path":"domain.telecom.standards.CN","value":0.3}},
                  {"enabled":true,"event":{"kind":"partnership","year":2026,"framework":"CN","states":["group:AU","group:ASEAN"],
                                           "domains":["telecom","cloud"],"affinity":0.3}}]"#;
    let (status, reply) = post_run(&s, &format!(r#"{{"start":"dsr-surge","runs":20,"events":{own}}}"#));
    assert_eq!(status, 202, "{reply}");
    assert_eq!(reply["name"], "dsr-surge", "{reply}");
    // The last edits an inherited array, which a short file extending the start cannot hold: the
    // export is then the whole resolved scenario.
    for set in [
        r#"choice.lambda=2.2"#,
        r#"choice.lambda={dist=\"lognormal\",mu=0.8,sigma=0.1}"#,
        r#"framework.US.home[0]=\"CAN\""#,
    ] {
        let mut events = Stream::open(&s.addr);
        let (status, reply) = post_run(&s, &format!(r#"{{"start":"dsr-surge","runs":20,"seed":5,"sets":["{set}"]}}"#));
        assert_eq!(status, 202, "{reply}");
        assert_eq!(reply["name"], "dsr-surge-edit", "{reply}");
        let command = reply["command"].as_str().unwrap();
        assert!(!command.contains("--set"), "{command}");
        let whole = reply["toml"].as_str().unwrap().contains("The whole scenario, resolved");
        assert_eq!(whole, set.contains("home[0]"), "{}", reply["toml"]);
        let job = reply["job"].as_u64().unwrap();
        let last = events.until_final(job).pop().unwrap();
        assert_eq!(last.name, "final");
        let dir = tempfile::tempdir().unwrap();
        let cli = cli_comparison(&reply, dir.path());
        assert_eq!(
            last.data.as_bytes(),
            cli.strip_suffix(b"\n").unwrap_or(&cli),
            "{set}: {}",
            reply["toml"]
        );
    }
}

/// Events until `pred` holds for one, which is returned last.
fn until(events: &mut Stream, pred: impl Fn(&Event) -> bool) -> Vec<Event> {
    let mut out = Vec::new();
    loop {
        let e = events.next();
        let done = pred(&e);
        out.push(e);
        if done {
            return out;
        }
    }
}

#[test]
fn each_tab_owns_its_jobs_and_a_replaced_job_says_why() {
    let s = serve();
    let mut events = Stream::open(&s.addr);
    let (_, a) = post_run(&s, r#"{"start":"eurostack","runs":1500,"seed":3,"tab":"tab-a"}"#);
    let (_, b) = post_run(&s, r#"{"start":"us-retreat","runs":40,"seed":4,"tab":"tab-b"}"#);
    let (ja, jb) = (a["job"].as_u64().unwrap(), b["job"].as_u64().unwrap());
    // Another tab's job is not cancelled: the second waits its turn, told so, and both finish.
    let got = events.until_final(ja);
    assert!(got.iter().any(|e| e.name == "queued" && job_of(e) == Some(jb)), "{got:?}");
    assert!(!got.iter().any(|e| e.name == "cancelled"), "{got:?}");
    events.until_final(jb);
    // Within one tab, a new job replaces the earlier one, whose cancellation says why.
    let (_, c) = post_run(&s, r#"{"start":"eurostack","runs":2000,"seed":5,"tab":"tab-a"}"#);
    let (_, d) = post_run(&s, r#"{"start":"eurostack","runs":30,"seed":6,"tab":"tab-a"}"#);
    let (jc, jd) = (c["job"].as_u64().unwrap(), d["job"].as_u64().unwrap());
    let got = events.until_final(jd);
    let cancelled = got
        .iter()
        .find(|e| e.name == "cancelled" && job_of(e) == Some(jc))
        .expect("the replaced job is cancelled");
    let why: Value = serde_json::from_str(&cancelled.data).unwrap();
    assert_eq!(why["reason"], format!("replaced by job {jd}, a later request from the same page"));
    let (status, reply) = post_run(&s, r#"{"start":"eurostack","tab":"not a tab!"}"#);
    assert_eq!((status, reply["field"].as_str()), (422, Some("tab")), "{reply}");
}

#[test]
fn bad_runs_seeds_and_keys_are_answered_beside_their_field() {
    let s = serve();
    for (spec, field, says) in [
        (
            r#"{"start":"dsr-surge","runs":2.5}"#,
            "runs",
            "runs: expected a whole number from 2 to 20000",
        ),
        (r#"{"start":"dsr-surge","runs":"ten"}"#, "runs", "not \"ten\""),
        (
            r#"{"start":"dsr-surge","seed":-1}"#,
            "seed",
            "seed: expected a whole number 0 or more, not -1",
        ),
        (
            r#"{"start":"dsr-surge","sets":["choice.lambda=2","nosuch.key=1"]}"#,
            "sets[1]",
            "unknown field `nosuch`",
        ),
        (
            r#"{"start":"dsr-surge","events":[{"enabled":false,"event":{}},
               {"enabled":true,"event":{"kind":"partnership","year":2026,"framework":"CN","domains":["telecom"],"affinity":0.3,"states":["XXX"]}}]}"#,
            "events[1]",
            "unknown state `XXX`",
        ),
    ] {
        let (status, reply) = post_run(&s, spec);
        assert_eq!((status, reply["field"].as_str()), (422, Some(field)), "{spec}: {reply}");
        assert!(reply["message"].as_str().unwrap().contains(says), "{spec}: {reply}");
    }
}

#[test]
fn a_watched_run_holds_every_state_every_year_and_matches_its_counts() {
    let s = serve();
    let mut events = Stream::open(&s.addr);
    let (_, r) = post_run(&s, r#"{"start":"dsr-surge","runs":30,"seed":9}"#);
    let j = r["job"].as_u64().unwrap();
    events.until_final(j);
    let (status, body) = request(&s, "GET", &format!("/api/watch?job={j}&run=5"), "text/plain", b"");
    assert_eq!(status, 200, "{body}");
    let w: Value = serde_json::from_str(&body).unwrap();
    let (base, counts) = (w["alternative"].as_array().unwrap(), w["alternative_counts"].as_array().unwrap());
    let (years, domains) = (base.len(), base[0].as_array().unwrap().len());
    let frameworks = counts.len() / (years * domains);
    assert_eq!((years, domains, frameworks), (16, 5, 3));
    // Each year's alignments, counted, are the run's recorded counts.
    for (t, year) in base.iter().enumerate() {
        for (d, row) in year.as_array().unwrap().iter().enumerate() {
            for k in 0..frameworks {
                let n = row.as_array().unwrap().iter().filter(|x| x.as_u64() == Some(k as u64)).count() as u64;
                assert_eq!(
                    Some(n),
                    counts[(t * domains + d) * frameworks + k].as_u64(),
                    "year {t} domain {d} framework {k}"
                );
            }
        }
    }
    assert_ne!(w["alternative"], w["baseline"], "dsr-surge moves some state in run 5");
    let (status, body) = request(&s, "GET", &format!("/api/watch?job={j}&run=30"), "text/plain", b"");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("expected a run of the job, 0 to 29"), "{body}");
    let (status, _) = request(&s, "GET", "/api/watch?job=999&run=0", "text/plain", b"");
    assert_eq!(status, 404);
}

#[test]
fn a_response_curves_points_are_compare_with_each_value() {
    let s = serve();
    let mut events = Stream::open(&s.addr);
    let spec = r#"{"alternative":{"start":"dsr-surge","runs":20,"seed":5},"key":"choice.lambda","values":["1.5","2.5"]}"#;
    let (status, body) = request(&s, "POST", "/api/response", "application/json", spec.as_bytes());
    assert_eq!(status, 202, "{body}");
    let job = serde_json::from_str::<Value>(&body).unwrap()["job"].as_u64().unwrap();
    let last = until(&mut events, |e| {
        e.name == "response" && job_of(e) == Some(job) && serde_json::from_str::<Value>(&e.data).unwrap()["done"] == 2
    });
    let curve: Value = serde_json::from_str(&last.last().unwrap().data).unwrap();
    for (i, v) in ["1.5", "2.5"].iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new(BIN)
            .args([
                "compare",
                "baseline",
                "dsr-surge",
                "--runs",
                "20",
                "--seed",
                "5",
                "--no-plots",
                "--out",
            ])
            .arg(dir.path().join("out"))
            .arg("--set")
            .arg(format!("choice.lambda={v}"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let cli: Value = serde_json::from_slice(&std::fs::read(dir.path().join("out/comparison.json")).unwrap()).unwrap();
        let point = &curve["points"][i];
        assert_eq!(point["value"], *v);
        for (o, p) in cli["outcomes"]
            .as_array()
            .unwrap()
            .iter()
            .zip(point["outcomes"].as_array().unwrap())
        {
            assert_eq!(p[0], o["outcome"]);
            assert_eq!((&p[1], &p[2], &p[3]), (&o["diff_mean"], &o["ci_low"], &o["ci_high"]), "{v}: {o}");
        }
    }
    for (spec, field) in [
        (
            r#"{"alternative":{"start":"dsr-surge"},"key":"choice.lambda","values":["2"]}"#,
            "values",
        ),
        (
            r#"{"alternative":{"start":"dsr-surge"},"key":"choice.lambda","values":["2","-1"]}"#,
            "values[1]",
        ),
        (
            r#"{"alternative":{"start":"dsr-surge","runs":5000},"key":"choice.lambda","values":["1","2","3","4","5"]}"#,
            "runs",
        ),
        (r#"{"alternative":{"start":"dsr-surge"},"key":"x=1","values":["1","2"]}"#, "key"),
    ] {
        let (status, body) = request(&s, "POST", "/api/response", "application/json", spec.as_bytes());
        let reply: Value = serde_json::from_str(&body).unwrap();
        assert_eq!((status, reply["field"].as_str()), (422, Some(field)), "{spec}: {body}");
    }
}

#[test]
fn the_queue_of_jobs_is_bounded_and_a_full_one_says_retry() {
    let s = serve();
    for tab in 0..32 {
        let (status, reply) = post_run(&s, &format!(r#"{{"start":"eurostack","runs":20000,"seed":1,"tab":"t{tab}"}}"#));
        assert_eq!(status, 202, "job {tab}: {reply}");
    }
    let (status, reply) = post_run(&s, r#"{"start":"eurostack","runs":20000,"seed":1,"tab":"t32"}"#);
    assert_eq!((status, reply["field"].as_str()), (503, Some("busy")), "{reply}");
    // The same tab replacing its own job still gets in: its old job leaves the queue.
    let (status, reply) = post_run(&s, r#"{"start":"eurostack","runs":30,"seed":1,"tab":"t31"}"#);
    assert!(status == 202 || status == 503, "{reply}");
}
