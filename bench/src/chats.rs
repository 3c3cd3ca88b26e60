//! The routes that ask WhatsApp Web itself: a check of 100 numbers, and pages of a chat's
//! history loaded from the simulated phone.

use std::time::Instant;

use serde::Serialize;

use crate::client::Result;
use crate::context::Run;
use crate::stats::{summarize, Summary};

/// The account whose phone holds the history (linked only for this section).
const HISTORY_ACCOUNT: &str = "923099990001";
const HISTORY_PEER: &str = "923099990002";
const PAGE: usize = 50;

#[derive(Debug, Clone, Serialize)]
pub struct HistoryResult {
    pub messages: usize,
    /// Every page, the first pass (loaded from the phone as it goes).
    pub first_pass: Summary,
    /// Every page again (the messages are in the page's memory now).
    pub second_pass: Summary,
}

/// `checks` checks of 100 numbers never checked before (so WhatsApp is asked every time).
pub async fn numbers(run: &Run, checks: usize) -> Result<Summary> {
    let (id, _) = run.linked.first().ok_or("no linked connection")?;
    let path = format!("/wa/connections/{id}/numbers/check");
    let mut samples = Vec::with_capacity(checks);
    for round in 0..checks {
        let numbers: Vec<String> = (0..100)
            .map(|i| format!("9231{:04}{:04}", round, i))
            .collect();
        let started = Instant::now();
        let (status, body) = run
            .api()
            .post(&path, serde_json::json!({ "numbers": numbers }))
            .await?;
        samples.push(started.elapsed());
        if status != 200 || body["results"].as_array().map(Vec::len) != Some(100) {
            return Err(format!("number check answered {status}: {body}"));
        }
    }
    summarize(&samples).ok_or_else(|| "no samples".into())
}

/// Pages of 50 through `messages` messages of history, twice.
pub async fn history(run: &Run, messages: usize) -> Result<HistoryResult> {
    let chat = run
        .sim
        .seed_history(HISTORY_ACCOUNT, HISTORY_PEER, messages, 4)
        .map_err(|e| e.to_string())?;
    let id = run.api().link(&run.sim, HISTORY_ACCOUNT).await?;
    let first = page_through(run, &id, &chat, messages).await?;
    let second = page_through(run, &id, &chat, messages).await?;
    run.api().disconnect(&id).await?;
    Ok(HistoryResult {
        messages,
        first_pass: summarize(&first).ok_or("no pages")?,
        second_pass: summarize(&second).ok_or("no pages")?,
    })
}

async fn page_through(
    run: &Run,
    id: &str,
    chat: &str,
    messages: usize,
) -> Result<Vec<std::time::Duration>> {
    let (mut samples, mut seen, mut before) = (Vec::new(), 0, None::<String>);
    loop {
        let mut path = format!("/wa/connections/{id}/chats/{chat}/messages?limit={PAGE}");
        if let Some(b) = &before {
            path += &format!("&before={b}");
        }
        let started = Instant::now();
        let (status, body) = run.api().get(&path).await?;
        samples.push(started.elapsed());
        if status != 200 {
            return Err(format!("history page answered {status}: {body}"));
        }
        seen += body["messages"].as_array().map_or(0, Vec::len);
        match body["nextBefore"].as_str() {
            Some(next) => before = Some(next.to_owned()),
            None => break,
        }
    }
    if seen != messages {
        return Err(format!("paged through {seen} of {messages} messages"));
    }
    Ok(samples)
}
