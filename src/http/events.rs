//! Live event streams: `GET /wa/events` (Server-Sent Events) and `GET /wa/ws` (WebSocket).
//! Both take `?connectionId=` and `?events=a,b`, and resume after a last seen id
//! (`Last-Event-ID` header for SSE, `?lastEventId=` for both) from the outbox.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::Response;
use futures::{Stream, StreamExt};
use serde::Deserialize;
use tokio_stream::wrappers::ReceiverStream;

use super::auth::{Auth, Principal};
use super::query::ApiQuery;
use super::AppState;
use crate::error::ApiError;
use crate::events::stream::{self, Filter};
use crate::events::EVENT_NAMES;

const PING_EVERY: Duration = Duration::from_secs(20);

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StreamQuery {
    connection_id: Option<String>,
    /// Comma-separated event names.
    events: Option<String>,
    last_event_id: Option<String>,
}

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

pub async fn ws(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiQuery(q): ApiQuery<StreamQuery>,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
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
