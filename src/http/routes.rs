//! Every route, declared once, with the least role that may call it. Each handler's
//! `#[utoipa::path]` gives its method, path and documentation, so the router, the paths of
//! `/openapi.json` and the role checks all come from `declared()` and cannot drift apart.

use axum::http::Method;
use axum::middleware::from_fn_with_state;
use axum::routing::MethodRouter;
use utoipa::openapi::path::Operation;
use utoipa::openapi::PathItem;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};
use utoipa_axum::routes;

use super::AppState;
use super::{
    auth, connections, events, groups, health, keys, me, media, messages, metrics, openapi,
    webhooks,
};
use super::{chat_actions, message_actions};
use super::{chats, contacts, numbers, profile};
use crate::store::Role;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, without an API key.
    Public,
    /// A key whose role includes this one (each role includes the ones below it).
    Least(Role),
}

/// The API: every route but the documentation page (`/docs`), in the document's order.
fn declared() -> Vec<(Access, UtoipaMethodRouter<AppState>)> {
    use Access::{Least, Public};
    use Role::{Admin, Operator, Sender, Viewer};
    vec![
        (Least(Operator), routes!(connections::add_number)),
        (Least(Viewer), routes!(connections::list)),
        (Least(Viewer), routes!(connections::get)),
        (Least(Viewer), routes!(connections::qr_code)),
        (Least(Viewer), routes!(connections::pairing_code)),
        (Least(Operator), routes!(connections::disconnect)),
        (Least(Viewer), routes!(metrics::connection_stats)),
        (Least(Admin), routes!(metrics::metrics)),
        (Least(Viewer), routes!(webhooks::get_webhook)),
        (Least(Operator), routes!(webhooks::put_webhook)),
        (Least(Operator), routes!(webhooks::delete_webhook)),
        (Least(Viewer), routes!(messages::list_messages)),
        (Least(Sender), routes!(messages::send)),
        (Least(Viewer), routes!(messages::get_message)),
        (Least(Operator), routes!(groups::create)),
        (Least(Viewer), routes!(groups::list)),
        (Least(Operator), routes!(groups::join)),
        (Least(Viewer), routes!(groups::get)),
        (Least(Operator), routes!(groups::update)),
        (Least(Operator), routes!(groups::participants)),
        (Least(Viewer), routes!(groups::invite_code)),
        (Least(Operator), routes!(groups::revoke_invite)),
        (Least(Operator), routes!(groups::leave)),
        (Least(Viewer), routes!(groups::requests)),
        (Least(Operator), routes!(groups::answer_requests)),
        (Least(Sender), routes!(numbers::check)),
        (Least(Viewer), routes!(chats::list_chats)),
        (Least(Viewer), routes!(chats::get_chat)),
        (Least(Viewer), routes!(chats::chat_messages)),
        (Least(Operator), routes!(chats::archive)),
        (Least(Operator), routes!(chats::unarchive)),
        (Least(Operator), routes!(chats::pin)),
        (Least(Operator), routes!(chats::unpin)),
        (Least(Viewer), routes!(contacts::list_contacts)),
        (Least(Viewer), routes!(contacts::get_contact)),
        (Least(Operator), routes!(contacts::block)),
        (Least(Operator), routes!(contacts::unblock)),
        (Least(Viewer), routes!(contacts::blocked)),
        (Least(Viewer), routes!(profile::get_profile)),
        (Least(Operator), routes!(profile::patch_profile)),
        (
            Least(Operator),
            body_limit(routes!(profile::put_picture), profile::PICTURE_BODY_LIMIT),
        ),
        (Least(Operator), routes!(profile::delete_picture)),
        (Least(Sender), routes!(message_actions::react)),
        (Least(Sender), routes!(message_actions::edit)),
        (Least(Sender), routes!(message_actions::delete)),
        (Least(Sender), routes!(message_actions::vote)),
        (Least(Viewer), routes!(message_actions::receipts)),
        (Least(Sender), routes!(chat_actions::read)),
        (Least(Sender), routes!(chat_actions::typing)),
        (Least(Sender), routes!(chat_actions::presence)),
        (Least(Viewer), routes!(media::get_media)),
        (Least(Viewer), routes!(webhooks::list_deliveries)),
        (Least(Operator), routes!(webhooks::retry_delivery)),
        (Least(Viewer), routes!(events::sse)),
        (Least(Viewer), routes!(events::ws)),
        (Least(Admin), routes!(keys::create)),
        (Least(Admin), routes!(keys::list)),
        (Least(Admin), routes!(keys::revoke)),
        (Least(Viewer), routes!(me::me)),
        (Public, routes!(health::health)),
        (Least(Viewer), routes!(health::ready)),
        (Public, routes!(openapi::openapi_json)),
    ]
}

/// A route that takes a larger body than the default (a picture upload).
fn body_limit(route: UtoipaMethodRouter<AppState>, bytes: usize) -> UtoipaMethodRouter<AppState> {
    let (schemas, paths, handler) = route;
    (
        schemas,
        paths,
        handler.layer(axum::extract::DefaultBodyLimit::max(bytes)),
    )
}

/// One declared route, as tests and tools see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub method: Method,
    /// As in the document: `/wa/connections/{id}`.
    pub path: String,
    pub access: Access,
}

/// Every declared route.
pub fn list() -> Vec<Route> {
    let mut routes = Vec::new();
    for (access, (_, mut paths, _)) in declared() {
        for (path, item) in paths.paths.iter_mut() {
            for (method, _) in operations(item) {
                let path = path.clone();
                routes.push(Route {
                    method,
                    path,
                    access,
                });
            }
        }
    }
    routes
}

/// The declared routes, in order, with their document. Each protected one is behind its role
/// check and then `authenticate`, which the caller supplies because it needs the state (the
/// document alone needs none: `std::convert::identity`).
pub(super) fn api<F>(authenticate: F) -> OpenApiRouter<AppState>
where
    F: Fn(MethodRouter<AppState>) -> MethodRouter<AppState>,
{
    let mut api = OpenApiRouter::default();
    for (access, (schemas, mut paths, handler)) in declared() {
        for item in paths.paths.values_mut() {
            for (_, op) in operations(item) {
                describe(op, access);
            }
        }
        let handler = match access {
            Access::Public => handler,
            Access::Least(role) => {
                authenticate(handler.route_layer(from_fn_with_state(role, auth::authorize)))
            }
        };
        api = api.routes((schemas, paths, handler));
    }
    api
}

/// Documents who may call the operation, and what a refused call gets.
fn describe(op: &mut Operation, access: Access) {
    openapi::describe_operation(op, access == Access::Public);
    if let Access::Least(role) = access {
        let role = serde_json::to_value(role).expect("roles serialize");
        let extensions = op.extensions.get_or_insert_with(Default::default);
        extensions.insert("x-required-role".to_owned(), role);
    }
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = (Method, &mut Operation)> {
    [
        (Method::GET, &mut item.get),
        (Method::PUT, &mut item.put),
        (Method::POST, &mut item.post),
        (Method::DELETE, &mut item.delete),
        (Method::PATCH, &mut item.patch),
        (Method::HEAD, &mut item.head),
        (Method::OPTIONS, &mut item.options),
        (Method::TRACE, &mut item.trace),
    ]
    .into_iter()
    .filter_map(|(method, op)| Some((method, op.as_mut()?)))
}
