//! The HTTP control API under `/__sim/`: shapes, and 400s for bad input. No browser needed.

use serde_json::{json, Value};
use wa_sim::{SimConfig, Simulator};

struct Api {
    sim: Simulator,
    http: reqwest::Client,
}

impl Api {
    async fn start() -> Api {
        Api {
            sim: Simulator::start(SimConfig::fast()).await.unwrap(),
            http: reqwest::Client::new(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}__sim/{path}", self.sim.base_url())
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let r = self.http.get(self.url(path)).send().await.unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    async fn post_raw(&self, path: &str, body: &str) -> (u16, Value) {
        let r = self
            .http
            .post(self.url(path))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

#[tokio::test]
async fn bad_control_input_gets_a_400_with_a_clear_message() {
    let api = Api::start().await;
    let (status, body) = api.post_raw("scan", "{not json").await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("invalid JSON"),
        "{body}"
    );

    let (status, body) = api
        .post("scan", json!({"qr": "a,b", "number": "923001234567"}))
        .await;
    assert_eq!((status, code(&body)), (400, "MALFORMED_QR"), "{body}");
    let (status, body) = api
        .post(
            "scan",
            json!({"qr": "2@x,n,i,a,WEB", "number": "923001234567"}),
        )
        .await;
    assert_eq!((status, code(&body)), (400, "UNKNOWN_QR"), "{body}");
    let (status, body) = api
        .post("scan", json!({"qr": "2@x,n,i,a,WEB", "number": "+92 300"}))
        .await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("digits"),
        "{body}"
    );
    let (status, body) = api
        .post(
            "scan",
            json!({"qr": "2@x,n,i,a,WEB", "number": "923001234567", "extra": 1}),
        )
        .await;
    assert_eq!(status, 400, "unknown fields are refused: {body}");

    let (status, body) = api
        .post(
            "inbound",
            json!({"to": "923001234567", "from": "923339998877", "body": "hi"}),
        )
        .await;
    assert_eq!((status, code(&body)), (404, "UNKNOWN_ACCOUNT"), "{body}");
    let (status, body) = api
        .post("accounts/923001234567/state", json!({"state": "SLEEPY"}))
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = api
        .post(
            "modules/rename",
            json!({"from": "WAWebCmd", "to": "bad name!"}),
        )
        .await;
    assert_eq!(status, 400);
    let (status, _) = api.post("groups", json!({"name": "", "members": []})).await;
    assert_eq!(status, 400);
    let r = api
        .http
        .put(api.url("acks"))
        .json(&json!({"up_to": 9}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    api.sim.shutdown().await;
}

#[tokio::test]
async fn control_routes_answer_with_json() {
    let api = Api::start().await;
    assert_eq!(api.get("qrs").await, (200, json!({"qrs": []})));

    let r = api
        .http
        .put(api.url("acks"))
        .json(&json!({"server_ms": 10, "delivered_ms": 20, "read_ms": 30, "up_to": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let (_, acks) = api.get("acks").await;
    assert_eq!(
        acks,
        json!({"server_ms": 10, "delivered_ms": 20, "read_ms": 30, "up_to": 2, "fail": false})
    );

    let (_, modules) = api
        .post(
            "modules/rename",
            json!({"from": "WAWebCmd", "to": "WAWebCmdV2"}),
        )
        .await;
    assert_eq!(modules["renamed"]["WAWebCmd"], "WAWebCmdV2");
    let (_, modules) = api
        .post("modules/remove", json!({"name": "WABase64"}))
        .await;
    assert_eq!(modules["removed"], json!(["WABase64"]));
    let (_, modules) = api.post("modules/reset", json!({})).await;
    assert_eq!(modules["renamed"], json!({}));
    assert_eq!(modules["removed"], json!([]));
    // The drills beyond whole modules, and the strictness settings.
    let (_, modules) = api
        .post(
            "modules/rename-member",
            json!({"module": "WAWebUpdateUnreadChatAction", "member": "sendSeen", "to": "markSeen"}),
        )
        .await;
    assert_eq!(
        modules["renamed_members"]["WAWebUpdateUnreadChatAction.sendSeen"],
        "markSeen"
    );
    let (_, modules) = api
        .post("modules/old-form", json!({"function": "advSecret"}))
        .await;
    assert_eq!(modules["old_forms"], json!(["advSecret"]));
    let (status, _) = api
        .post("modules/old-form", json!({"function": "nope"}))
        .await;
    assert_eq!(status, 400);
    let (_, modules) = api
        .post("modules/no-key-serialized", json!({"drop": true}))
        .await;
    assert_eq!(modules["no_key_serialized"], true);
    let (status, _) = api
        .post(
            "chats/923001234567@c.us/disappearing",
            json!({"seconds": 86400}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, alias) = api
        .post(
            "numbers/5511912345678/alias",
            json!({"canonical": "551112345678"}),
        )
        .await;
    assert_eq!(
        (status, alias["canonical"].as_str()),
        (200, Some("551112345678"))
    );

    let (status, group) = api
        .post(
            "groups",
            json!({"name": "Team", "members": ["923001234567"]}),
        )
        .await;
    assert_eq!(status, 200);
    assert!(group["id"].as_str().unwrap().ends_with("@g.us"));
    let (_, lid) = api.post("lids", json!({"number": "923001234567"})).await;
    assert!(lid["lid"].as_str().unwrap().ends_with("@lid"));
    let (_, again) = api.post("lids", json!({"number": "923001234567"})).await;
    assert_eq!(lid, again, "one lid per number");

    let (status, counters) = api.get("counters").await;
    assert_eq!(status, 200);
    assert_eq!(counters["scans_rejected"], 0);
    assert_eq!(api.get("accounts").await.1, json!({"accounts": []}));
    let (status, _) = api
        .post(
            "numbers/923000000009/registered",
            json!({"registered": false}),
        )
        .await;
    assert_eq!(status, 200);
    api.sim.shutdown().await;
}

#[tokio::test]
async fn the_page_and_phone_page_are_served() {
    let api = Api::start().await;
    let page = api
        .http
        .get(api.sim.base_url())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("/static/app.js") && page.contains("\"bundleMs\":300"),
        "{page}"
    );
    let phone = api.http.get(api.url("phone")).send().await.unwrap();
    assert_eq!(phone.status().as_u16(), 200);
    let svg = api
        .http
        .get(api.url("qr.svg?data=2@abc,n,i,a,WEB"))
        .send()
        .await
        .unwrap();
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
    assert_eq!(api.sim.counters().page_loads, 1);
    api.sim.shutdown().await;
}

#[tokio::test]
async fn state_survives_a_restart_on_the_same_state_folder() {
    let dir = tempfile::tempdir().unwrap();
    let sim = Simulator::start(SimConfig::fast().with_state_dir(dir.path()))
        .await
        .unwrap();
    let lid = sim.add_lid_contact("923001234567");
    let group = sim.create_group("Team", &["923001234567"]);
    sim.rename_module("WAWebCmd", "WAWebCmd2");
    sim.shutdown().await;

    let sim = Simulator::start(SimConfig::fast().with_state_dir(dir.path()))
        .await
        .unwrap();
    assert_eq!(sim.add_lid_contact("923001234567"), lid);
    let page = reqwest::get(sim.base_url())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !page.contains("WAWebCmd2"),
        "a restart ends the module drill"
    );
    let state = std::fs::read_to_string(dir.path().join("state.json")).unwrap();
    assert!(state.contains(&group));
    sim.shutdown().await;
}
