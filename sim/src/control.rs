//! The control API under `/__sim/` (JSON): everything outside the browser, for tests and people.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::config::AckBehaviour;
use crate::error::SimError;
use crate::http::AppState;
use crate::types::{parse_number, InboundMessage};

pub(crate) type ApiResult = Result<Json<Value>, SimError>;

/// `Json<T>` whose rejections are 400s in the simulator's error shape.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = SimError;

    async fn from_request(req: Request, state: &S) -> Result<Self, SimError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(Body(value)),
            Err(rejection) => Err(SimError::BadRequest(rejection_text(rejection))),
        }
    }
}

fn rejection_text(rejection: JsonRejection) -> String {
    format!("invalid JSON body: {}", rejection.body_text())
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/__sim/phone", get(phone_page))
        .route("/__sim/phone.js", get(phone_js))
        .route("/__sim/qr.svg", get(qr_svg))
        .route("/__sim/qrs", get(qrs))
        .route("/__sim/scan", post(scan))
        .route("/__sim/link-code", post(link_code))
        .route("/__sim/inbound", post(inbound))
        .route("/__sim/accounts", get(accounts))
        .route("/__sim/accounts/{number}/devices", get(devices))
        .route("/__sim/accounts/{number}/sent", get(sent))
        .route("/__sim/accounts/{number}/messages", get(messages))
        .route("/__sim/accounts/{number}/unlink", post(unlink))
        .route("/__sim/accounts/{number}/state", post(force_state))
        .route("/__sim/accounts/{number}/sent/{id}/ack", post(set_ack))
        .route("/__sim/acks", get(get_acks).put(put_acks))
        .route("/__sim/modules", get(modules))
        .route("/__sim/modules/rename", post(rename_module))
        .route("/__sim/modules/remove", post(remove_module))
        .route("/__sim/modules/reset", post(reset_modules))
        .route("/__sim/groups", post(create_group))
        .route("/__sim/lids", post(add_lid))
        .route("/__sim/numbers/{number}/registered", post(set_registered))
        .route("/__sim/counters", get(counters))
}

async fn phone_page() -> Html<&'static str> {
    Html(crate::assets::PHONE_HTML)
}

async fn phone_js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        crate::assets::PHONE_JS,
    )
        .into_response()
}

#[derive(Deserialize)]
struct QrQuery {
    data: String,
}

async fn qr_svg(Query(q): Query<QrQuery>) -> Result<Response, SimError> {
    let svg = crate::qr::svg(&q.data)
        .ok_or_else(|| SimError::BadRequest("data is too long for a QR code".into()))?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}

async fn qrs(State(s): State<AppState>) -> Json<Value> {
    Json(json!({"qrs": s.core.current_qrs()}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScanBody {
    qr: String,
    number: String,
    #[serde(default)]
    push_name: String,
}

async fn scan(State(s): State<AppState>, Body(b): Body<ScanBody>) -> ApiResult {
    let result = s.core.scan(&b.qr, &b.number, &b.push_name)?;
    Ok(Json(json!(result)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeBody {
    code: String,
    #[serde(default)]
    push_name: String,
}

async fn link_code(State(s): State<AppState>, Body(b): Body<CodeBody>) -> ApiResult {
    let result = s.core.enter_link_code(&b.code, &b.push_name)?;
    Ok(Json(json!(result)))
}

async fn inbound(State(s): State<AppState>, Body(m): Body<InboundMessage>) -> ApiResult {
    let id = s.core.send_inbound(m)?;
    Ok(Json(json!({"id": id})))
}

async fn accounts(State(s): State<AppState>) -> Json<Value> {
    let list: Vec<Value> = s
        .core
        .account_numbers()
        .into_iter()
        .map(|n| {
            let world = s.core.world();
            let a = &world.accounts[&n];
            json!({"number": n, "push_name": a.push_name, "lid": world.existing_lid(&n).map(|l| format!("{l}@lid"))})
        })
        .map(|mut v| {
            let n = v["number"].as_str().unwrap_or_default().to_string();
            v["devices"] = json!(s.core.linked_devices(&n));
            v
        })
        .collect();
    Json(json!({"accounts": list}))
}

async fn devices(State(s): State<AppState>, Path(number): Path<String>) -> ApiResult {
    let number = known_account(&s, &number)?;
    Ok(Json(json!(s.core.linked_devices(&number))))
}

async fn sent(State(s): State<AppState>, Path(number): Path<String>) -> ApiResult {
    let number = known_account(&s, &number)?;
    Ok(Json(json!(s.core.sent_messages(&number))))
}

async fn messages(State(s): State<AppState>, Path(number): Path<String>) -> ApiResult {
    let number = known_account(&s, &number)?;
    Ok(Json(s.core.conversation(&number)))
}

async fn unlink(State(s): State<AppState>, Path(number): Path<String>) -> ApiResult {
    s.core.unlink(&number)?;
    Ok(Json(json!({"unlinked": number})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StateBody {
    state: String,
}

async fn force_state(
    State(s): State<AppState>,
    Path(number): Path<String>,
    Body(b): Body<StateBody>,
) -> ApiResult {
    s.core.force_state(&number, &b.state)?;
    Ok(Json(
        json!({"number": number, "state": b.state.to_ascii_uppercase()}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AckBody {
    ack: i8,
}

async fn set_ack(
    State(s): State<AppState>,
    Path((number, id)): Path<(String, String)>,
    Body(b): Body<AckBody>,
) -> ApiResult {
    let number = known_account(&s, &number)?;
    if !(-7..=5).contains(&b.ack) {
        return Err(SimError::BadRequest("ack must be -7..=5".into()));
    }
    if !s.core.apply_ack(&number, &id, b.ack) {
        return Err(SimError::BadRequest(format!(
            "account {number} sent no message with id {id}"
        )));
    }
    Ok(Json(json!({"id": id, "ack": b.ack})))
}

async fn get_acks(State(s): State<AppState>) -> Json<Value> {
    Json(json!(s.core.acks()))
}

async fn put_acks(State(s): State<AppState>, Body(b): Body<AckBehaviour>) -> ApiResult {
    if !(0..=3).contains(&b.up_to) {
        return Err(SimError::BadRequest("up_to must be 0..=3".into()));
    }
    s.core.mutate(|w| w.acks = Some(b));
    Ok(Json(json!(b)))
}

async fn modules(State(s): State<AppState>) -> Json<Value> {
    Json(json!(s.core.world().modules))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RenameBody {
    from: String,
    to: String,
}

async fn rename_module(State(s): State<AppState>, Body(b): Body<RenameBody>) -> ApiResult {
    check_module_name(&b.from)?;
    check_module_name(&b.to)?;
    s.core.rename_module(&b.from, &b.to);
    Ok(Json(json!(s.core.world().modules)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NameBody {
    name: String,
}

async fn remove_module(State(s): State<AppState>, Body(b): Body<NameBody>) -> ApiResult {
    check_module_name(&b.name)?;
    s.core.remove_module(&b.name);
    Ok(Json(json!(s.core.world().modules)))
}

async fn reset_modules(State(s): State<AppState>) -> Json<Value> {
    s.core.mutate(|w| w.modules = Default::default());
    Json(json!(s.core.world().modules))
}

fn check_module_name(name: &str) -> Result<(), SimError> {
    let ok = !name.is_empty()
        && name.len() <= 100
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.$".contains(c));
    if ok {
        Ok(())
    } else {
        Err(SimError::BadRequest(format!(
            "module name {name:?} must be 1-100 characters of [A-Za-z0-9_-.$]"
        )))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupBody {
    name: String,
    members: Vec<String>,
}

async fn create_group(State(s): State<AppState>, Body(b): Body<GroupBody>) -> ApiResult {
    let members = b
        .members
        .iter()
        .map(|m| parse_number(m))
        .collect::<Result<Vec<_>, _>>()?;
    if b.name.trim().is_empty() {
        return Err(SimError::BadRequest("name must not be empty".into()));
    }
    Ok(Json(json!({"id": s.core.create_group(&b.name, &members)})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NumberBody {
    number: String,
}

async fn add_lid(State(s): State<AppState>, Body(b): Body<NumberBody>) -> ApiResult {
    let number = parse_number(&b.number)?;
    Ok(Json(
        json!({"lid": s.core.add_lid_contact(&number), "number": number}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisteredBody {
    registered: bool,
}

async fn set_registered(
    State(s): State<AppState>,
    Path(number): Path<String>,
    Body(b): Body<RegisteredBody>,
) -> ApiResult {
    let number = parse_number(&number)?;
    s.core.set_registered(&number, b.registered);
    Ok(Json(json!({"number": number, "registered": b.registered})))
}

async fn counters(State(s): State<AppState>) -> Json<Value> {
    Json(json!(s.core.counters()))
}

pub(crate) fn known_account(s: &AppState, number: &str) -> Result<String, SimError> {
    let number = parse_number(number)?;
    if s.core.world().accounts.contains_key(&number) {
        Ok(number)
    } else {
        Err(SimError::UnknownAccount(number))
    }
}
