//! The JSON body of a send as the document states it: a `SendRequest` that carries a `message`
//! or `media` (or both), so that a body with neither is invalid by the schema, not only by us.

use utoipa::openapi::schema::{AllOfBuilder, AnyOfBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

use crate::http::messages::SendRequest;

pub struct SendJson;

impl PartialSchema for SendJson {
    fn schema() -> RefOr<Schema> {
        let present = |field: &str, ty: Type| {
            ObjectBuilder::new()
                .required(field)
                .property(field, ObjectBuilder::new().schema_type(ty))
        };
        let either = AnyOfBuilder::new()
            .item(present("message", Type::String))
            .item(present("media", Type::Object));
        AllOfBuilder::new()
            .item(Ref::from_schema_name("SendRequest"))
            .item(either)
            .description(Some(
                "A `SendRequest` with a `message`, a `media`, or both.",
            ))
            .into()
    }
}

impl ToSchema for SendJson {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push(("SendRequest".into(), SendRequest::schema()));
        SendRequest::schemas(schemas);
    }
}
