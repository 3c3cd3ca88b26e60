//! Opening WhatsApp Web in a running browser, and telling a page that did not load (a network
//! error, an HTTP error status, no answer in time) from a browser that failed: the first is
//! retried in the same browser, only the second is worth a relaunch.

use std::time::Duration;

use chromiumoxide::cdp::browser_protocol::network::{EventResponseReceived, ResourceType};
use chromiumoxide::cdp::browser_protocol::page::FrameId;
use chromiumoxide::error::CdpError;
use chromiumoxide::listeners::EventStream;
use chromiumoxide::Page;
use futures::{FutureExt, StreamExt};

use super::driver::DriverError;

/// chromiumoxide gives up on a navigation after 30 s itself; this also bounds the listener setup.
pub(super) const LOAD_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a document that came may take to show its response: chromiumoxide hands events to
/// listeners on its next turn, which may come after the navigation's end was reported.
const STATUS_WAIT: Duration = Duration::from_secs(2);

/// How one load of WhatsApp Web went.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Outcome {
    Loaded,
    /// The page did not load; the text says why (`net::ERR_NAME_NOT_RESOLVED`, `HTTP 503`).
    Failed(String),
    /// The CDP connection is gone: the browser died.
    BrowserLost,
}

/// Navigates `page` to `url` and judges the result, the main document's HTTP status included.
pub(super) async fn load(page: &Page, url: &str) -> Outcome {
    let watched = tokio::time::timeout(LOAD_TIMEOUT, async {
        let responses = page.event_listener::<EventResponseReceived>().await?;
        let main_frame = page.mainframe().await?;
        Ok::<_, CdpError>((responses, main_frame))
    });
    let (responses, main_frame) = match watched.await {
        Ok(Ok(watch)) => watch,
        Ok(Err(e)) => return judge(Err(e), None),
        Err(_) => return judge(Err(CdpError::Timeout), None),
    };
    let navigated = match tokio::time::timeout(LOAD_TIMEOUT, page.goto(url)).await {
        Ok(result) => result.map(|_| ()),
        Err(_) => Err(CdpError::Timeout),
    };
    // A document came (perhaps an error page of the server): its status decides.
    let wait = match &navigated {
        Ok(()) => STATUS_WAIT,
        Err(CdpError::ChromeMessage(text)) if text.contains("HTTP_RESPONSE_CODE") => STATUS_WAIT,
        Err(_) => Duration::ZERO,
    };
    // The listener is unbounded: read what this load produced and drop it.
    let status = document_status(responses, main_frame.as_ref(), wait).await;
    judge(navigated, status)
}

/// The HTTP status of the main frame's document, waiting up to `wait` for it; `None` when none
/// came (a failed connection, or a page served by a service worker or the cache).
async fn document_status(
    mut responses: EventStream<EventResponseReceived>,
    main_frame: Option<&FrameId>,
    wait: Duration,
) -> Option<i64> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let next = if wait.is_zero() {
            responses.next().now_or_never().flatten()
        } else {
            tokio::time::timeout_at(deadline, responses.next())
                .await
                .ok()
                .flatten()
        };
        let event = next?;
        let document = event.r#type == ResourceType::Document;
        if document && main_frame.is_none_or(|f| event.frame_id.as_ref() == Some(f)) {
            return Some(event.response.status);
        }
    }
}

/// Any error status of the document is a page that did not load, even when Chromium shows the
/// server's own error page; Chromium's `errorText` (`net::ERR_…`) says why a document never came.
fn judge(navigated: Result<(), CdpError>, status: Option<i64>) -> Outcome {
    if let Some(code) = status.filter(|s| *s >= 400) {
        return Outcome::Failed(format!("HTTP {code}"));
    }
    match navigated {
        Ok(()) => Outcome::Loaded,
        Err(CdpError::Timeout) => {
            Outcome::Failed(format!("no answer within {} s", LOAD_TIMEOUT.as_secs()))
        }
        Err(CdpError::ChromeMessage(text)) => Outcome::Failed(text),
        Err(e) => {
            let e = DriverError::from(e);
            if e.is_browser_lost() {
                Outcome::BrowserLost
            } else {
                Outcome::Failed(e.to_string())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_network_error_is_named_as_chromium_names_it() {
        let dns = CdpError::ChromeMessage("net::ERR_NAME_NOT_RESOLVED".into());
        let failed = Outcome::Failed("net::ERR_NAME_NOT_RESOLVED".into());
        assert_eq!(judge(Err(dns), None), failed);
    }

    #[test]
    fn an_error_status_of_the_document_is_a_failed_load_even_with_a_page_shown() {
        assert_eq!(judge(Ok(()), Some(503)), Outcome::Failed("HTTP 503".into()));
        assert_eq!(judge(Ok(()), Some(404)), Outcome::Failed("HTTP 404".into()));
        let refused = CdpError::ChromeMessage("net::ERR_HTTP_RESPONSE_CODE_FAILURE".into());
        assert_eq!(
            judge(Err(refused), Some(502)),
            Outcome::Failed("HTTP 502".into())
        );
    }

    #[test]
    fn a_document_that_answered_is_loaded() {
        assert_eq!(judge(Ok(()), Some(200)), Outcome::Loaded);
        assert_eq!(judge(Ok(()), Some(304)), Outcome::Loaded);
        // Served by a service worker or the cache: no network response was seen.
        assert_eq!(judge(Ok(()), None), Outcome::Loaded);
    }

    #[test]
    fn no_answer_in_time_and_a_dead_browser_are_told_apart() {
        let late = judge(Err(CdpError::Timeout), None);
        assert_eq!(late, Outcome::Failed("no answer within 30 s".into()));
        assert_eq!(judge(Err(CdpError::NoResponse), None), Outcome::BrowserLost);
    }
}
