//! Live event streams: `GET /wa/events` (Server-Sent Events) and `GET /wa/ws` (WebSocket).
//! Both take `?connectionId=` and `?events=a,b`, and resume after a last seen id
//! (`Last-Event-ID` header for SSE, `?lastEventId=` for both) from the outbox.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::Response;
use futures::{Stream, StreamExt};
use serde::Deserialize;
use tokio_stream::wrappers::ReceiverStream;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::{IntoParams, ToSchema};

use super::auth::{Auth, Principal};
use super::query::ApiQuery;
use super::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::events::schema::EventEnvelope;
use crate::events::stream::{self, Filter};
use crate::events::EVENT_NAMES;

const PING_EVERY: Duration = Duration::from_secs(20);

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    /// Only this connection's events.
    connection_id: Option<String>,
    /// Comma-separated event names (`qr,ready,message`); all when absent.
    events: Option<String>,
    /// Resume after this event id: missed events come from the outbox first.
    last_event_id: Option<String>,
}

/// The `Last-Event-ID` header of `GET /wa/events` (describes it only).
#[allow(dead_code)]
#[derive(IntoParams)]
#[into_params(names("Last-Event-ID"), parameter_in = Header)]
pub struct LastEventId(
    /// Sent by EventSource clients on reconnect; wins over `?lastEventId=`.
    Option<String>,
);

/// A stream of Server-Sent Events (describes the response only): each event's `id` is the
/// envelope's id, `event` its name and `data` the JSON envelope
/// `{"id","event","connectionId","timestamp","data"}`; a comment line every 20 s keeps it open.
pub struct EventStream;

impl utoipa::PartialSchema for EventStream {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(STREAM_FORMAT))
            .into()
    }
}

impl ToSchema for EventStream {}

/// What the SSE stream holds, for the document.
const STREAM_FORMAT: &str = "Server-Sent Events: each event's `id` is the envelope's id, \
    `event` its name and `data` the envelope as JSON (an `EventEnvelope`); a comment line \
    every 20 s keeps the stream open.";

async fn open(
    state: &AppState,
    caller: &Principal,
    q: StreamQuery,
    header_last_id: Option<String>,
) -> Result<tokio::sync::mpsc::Receiver<std::sync::Arc<crate::store::StoredEvent>>, ApiError> {
    if let Some(id) = &q.connection_id {
        state.owned(caller, id).await?;
    }
    let events: Vec<String> = q
        .events
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_owned)
        .collect();
    if let Some(bad) = events.iter().find(|e| !EVENT_NAMES.contains(&e.as_str())) {
        return Err(ApiError::invalid(format!("unknown event '{bad}'")));
    }
    let filter = Filter {
        connection_id: q.connection_id,
        events,
        tenant: caller.tenant_scope().map(str::to_owned),
    };
    let last = header_last_id.or(q.last_event_id);
    Ok(stream::subscribe(
        &state.bus,
        state.store.clone(),
        filter,
        last,
    ))
}

/// Live events as Server-Sent Events.
#[utoipa::path(
    get, path = "/wa/events", tag = "events", params(StreamQuery, LastEventId),
    responses(
        (status = 200, description = "An endless event stream", content_type = "text/event-stream", body = EventStream),
        (status = 400, description = "`INVALID_REQUEST`: a bad query parameter or an unknown event name", body = ErrorBody),
        (status = 404, description = "`SESSION_NOT_FOUND`: no such `connectionId`", body = ErrorBody),
    )
)]
pub async fn sse(
    State(state): State<AppState>,
    Auth(caller): Auth,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<StreamQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let last = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let rx = open(&state, &caller, q, last).await?;
    let events = ReceiverStream::new(rx).map(|e| {
        let data = serde_json::to_string(&*e).expect("events serialize");
        Ok(Event::default()
            .id(e.id.clone())
            .event(e.event.clone())
            .data(data))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(PING_EVERY)))
}

/// Live events over a WebSocket: the same envelopes as JSON text messages.
#[utoipa::path(
    get, path = "/wa/ws", tag = "events", params(StreamQuery),
    responses(
        (status = 101, description = "Switching to the WebSocket protocol; each event is then one JSON text message",
            content_type = "application/json", body = EventEnvelope),
        (status = 400, description = "`INVALID_REQUEST`: not a WebSocket upgrade request, a bad query parameter or an unknown event name", body = ErrorBody),
        (status = 404, description = "`SESSION_NOT_FOUND`: no such `connectionId`", body = ErrorBody),
        (status = 426, description = "`INVALID_REQUEST`: the connection cannot be upgraded", body = ErrorBody),
    )
)]
pub async fn ws(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiQuery(q): ApiQuery<StreamQuery>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let upgrade = upgrade?;
    let rx = open(&state, &caller, q, None).await?;
    Ok(upgrade.on_upgrade(move |socket| forward(socket, rx)))
}

/// Sends each event as one JSON text message until either side stops.
async fn forward(
    mut socket: WebSocket,
    mut rx: tokio::sync::mpsc::Receiver<std::sync::Arc<crate::store::StoredEvent>>,
) {
    let mut ping = tokio::time::interval(PING_EVERY);
    loop {
        tokio::select! {
            event = rx.recv() => {
                let Some(event) = event else { break };
                let text = serde_json::to_string(&*event).expect("events serialize");
                if socket.send(Message::Text(text.into())).await.is_err() {
                    break;
                }
            }
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
            _ = ping.tick() => {
                if socket.send(Message::Ping(Vec::new().into())).await.is_err() {
                    break;
                }
            }
        }
    }
}
