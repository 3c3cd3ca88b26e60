//! The few gateway endpoints the bench calls, and linking a number through the simulator.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use wa_sim::Simulator;

const LINK_TIMEOUT: Duration = Duration::from_secs(90);
const POLL: Duration = Duration::from_millis(25);

#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
}

pub type Result<T> = std::result::Result<T, String>;

impl Api {
    pub fn new(base: String) -> Api {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(64)
            .timeout(Duration::from_secs(120))
            .build()
            .expect("http client");
        Api { base, http }
    }

    async fn call(&self, req: reqwest::RequestBuilder) -> Result<(u16, Value)> {
        let resp = req.send().await.map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        let body = resp.json().await.unwrap_or(Value::Null);
        Ok((status, body))
    }

    pub async fn get(&self, path: &str) -> Result<(u16, Value)> {
        self.call(self.http.get(format!("{}{path}", self.base)))
            .await
    }

    pub async fn post(&self, path: &str, body: Value) -> Result<(u16, Value)> {
        self.call(self.http.post(format!("{}{path}", self.base)).json(&body))
            .await
    }

    /// `POST /wa/add-number`; returns the connection id once the response carries a QR.
    pub async fn add_number(&self) -> Result<String> {
        let (status, body) = self.post("/wa/add-number", json!({})).await?;
        match (
            status,
            body["connectionId"].as_str(),
            body["qr"].is_string(),
        ) {
            (201, Some(id), true) => Ok(id.to_owned()),
            _ => Err(format!("add-number answered {status}: {body}")),
        }
    }

    pub async fn raw_qr(&self, id: &str) -> Result<String> {
        let (status, body) = self
            .get(&format!("/wa/connections/{id}/qr?format=raw"))
            .await?;
        body["qr"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("no QR for {id}: {status} {body}"))
    }

    pub async fn status(&self, id: &str) -> Result<String> {
        let (_, body) = self.get(&format!("/wa/connections/{id}")).await?;
        Ok(body["status"].as_str().unwrap_or_default().to_owned())
    }

    pub async fn disconnect(&self, id: &str) -> Result<()> {
        let (status, body) = self
            .post(&format!("/wa/disconnect/{id}"), json!({}))
            .await?;
        (status == 200)
            .then_some(())
            .ok_or_else(|| format!("disconnect answered {status}: {body}"))
    }

    pub async fn send(&self, id: &str, to: &str, text: &str) -> Result<()> {
        let (status, body) = self
            .post(
                &format!("/wa/send/{id}"),
                json!({ "to": to, "message": text }),
            )
            .await?;
        (status == 200)
            .then_some(())
            .ok_or_else(|| format!("send answered {status}: {body}"))
    }

    pub async fn metrics(&self) -> Result<String> {
        let resp = self
            .http
            .get(format!("{}/metrics", self.base))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        resp.text().await.map_err(|e| e.to_string())
    }

    /// Adds a number, scans its QR as `number` and waits until it is connected.
    pub async fn link(&self, sim: &Simulator, number: &str) -> Result<String> {
        let id = self.add_number().await?;
        let deadline = Instant::now() + LINK_TIMEOUT;
        // The QR may rotate between reading and scanning: read it again and retry.
        loop {
            let qr = self.raw_qr(&id).await?;
            if sim.scan(&qr, number, "Bench").await.is_ok() {
                break;
            }
            if Instant::now() > deadline {
                return Err(format!("could not scan {id}'s QR"));
            }
        }
        while Instant::now() < deadline {
            if self.status(&id).await? == "connected" {
                return Ok(id);
            }
            tokio::time::sleep(POLL).await;
        }
        Err(format!("{id} did not connect within {LINK_TIMEOUT:?}"))
    }
}

/// A metric's value summed over its label sets, from the text exposition.
pub fn metric_sum(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with(' ') || rest.starts_with('{'))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}
