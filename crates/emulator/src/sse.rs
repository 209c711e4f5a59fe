//! Server-sent events (the WHATWG HTML "server-sent events" format) as the backend frames them:
//! each event is `event: <type>\ndata: <json>\n\n`, and the JSON repeats the `type` and carries
//! a `sequence_number` that counts up from 0.

use axum::body::{Body, Bytes};
use futures::StreamExt as _;
use serde_json::{Map, Value};
use std::convert::Infallible;
use std::time::Duration;

/// The events of one answer, numbered as they are added.
#[derive(Debug, Default)]
pub struct EventLog {
    events: Vec<Value>,
}

impl EventLog {
    /// Appends an event of `kind` with these fields, adding `type` and `sequence_number`.
    pub fn push(&mut self, kind: &str, fields: Value) {
        let mut object = match fields {
            Value::Object(object) => object,
            _ => Map::new(),
        };
        object.insert("type".into(), Value::from(kind));
        object.insert("sequence_number".into(), Value::from(self.events.len()));
        self.events.push(Value::Object(object));
    }

    /// The events so far.
    pub fn events(&self) -> &[Value] {
        &self.events
    }

    /// Keeps only the first `count` events (a stream cut short).
    pub fn truncate(&mut self, count: usize) {
        self.events.truncate(count);
    }

    /// The events as a streamed body, one chunk per event, with `pause` before every event
    /// after the first (zero: all at once).
    pub fn into_body(self, pause: Duration) -> Body {
        let chunks = self.events.into_iter().map(|event| frame(&event));
        if pause.is_zero() {
            return Body::from_stream(futures::stream::iter(chunks.map(Ok::<_, Infallible>)));
        }
        let paced =
            futures::stream::iter(chunks.enumerate()).then(move |(index, chunk)| async move {
                if index > 0 {
                    tokio::time::sleep(pause).await;
                }
                Ok::<_, Infallible>(chunk)
            });
        Body::from_stream(paced)
    }
}

/// One event on the wire.
pub fn frame(event: &Value) -> Bytes {
    let kind = event["type"].as_str().unwrap_or("message");
    Bytes::from(format!("event: {kind}\ndata: {event}\n\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn events_repeat_their_type_and_count_up() {
        let mut log = EventLog::default();
        log.push("response.created", json!({"response": {}}));
        log.push("response.output_text.delta", json!({"delta": "Hi"}));
        assert_eq!(log.events()[1]["sequence_number"], 1);
        let wire = frame(&log.events()[1]);
        let wire = std::str::from_utf8(&wire).unwrap();
        let data = wire
            .strip_prefix("event: response.output_text.delta\ndata: ")
            .and_then(|rest| rest.strip_suffix("\n\n"))
            .unwrap();
        let data: Value = serde_json::from_str(data).unwrap();
        assert_eq!(data["type"], "response.output_text.delta");
        assert_eq!(data["delta"], "Hi");
    }
}
