//! The plain request and reply that the routes ([`super::http`]) and the transport
//! ([`super::transport`]) exchange: no sockets, no HTTP library types.

use bytes::Bytes;
use serde_json::{Value, json};

use super::events::Subscription;

/// A request as the routes see it.
#[derive(Debug, Default)]
pub(crate) struct Request {
    /// `GET`, `POST`, ... as sent.
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query string, without its `?` (empty if none).
    pub query: String,
    /// Names and values as sent (values not UTF-8 are read lossily).
    pub headers: Vec<(String, String)>,
    /// The body as read (empty unless the route reads one).
    pub body: Vec<u8>,
}

impl Request {
    /// The value of the header `name` (any case), if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What a reply carries.
pub(crate) enum Body {
    Bytes(Bytes),
    /// The event stream: the transport sends its frames as they come.
    Events(Subscription),
}

/// A reply as the routes make it.
pub(crate) struct Reply {
    pub status: u16,
    pub kind: &'static str,
    pub body: Body,
    /// Seconds, for 503.
    pub retry_after: Option<u32>,
}

impl Reply {
    /// A reply of `body`, of type `kind`.
    pub(crate) fn bytes(status: u16, kind: &'static str, body: impl Into<Bytes>) -> Reply {
        Reply {
            status,
            kind,
            body: Body::Bytes(body.into()),
            retry_after: None,
        }
    }

    /// The text of a reply that is not a stream (tests and logs).
    #[cfg(test)]
    pub fn text(&self) -> String {
        match &self.body {
            Body::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
            Body::Events(_) => "(event stream)".into(),
        }
    }
}

/// A reply of JSON.
pub(crate) fn json_reply(status: u16, v: &Value) -> Reply {
    Reply::bytes(status, "application/json", v.to_string())
}

/// A JSON error `{field, message}`.
pub(crate) fn error(status: u16, field: &str, message: &str) -> Reply {
    json_reply(status, &json!({"field": field, "message": message}))
}
