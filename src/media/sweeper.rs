//! The media sweeper: a supervised task that deletes stored inbound media older than
//! `MEDIA_RETENTION` (index rows, then the blobs no row names). A request for swept media asks
//! WhatsApp again.

use std::sync::Arc;
use std::time::Duration;

use crate::store::{now, Store};
use crate::supervisor::{Spec, Supervisor, TaskResult};

const TASK: &str = "media-sweeper";

/// Sweeps every tenth of the retention, at most hourly and at least every second, so media is
/// gone within ~10 % of its retention.
fn period(retention: Duration) -> Duration {
    (retention / 10).clamp(Duration::from_secs(1), Duration::from_secs(3600))
}

pub fn start(tasks: &mut Supervisor, store: Arc<dyn Store>, retention: Duration) {
    let spec = Spec {
        name: TASK,
        required: false,
    };
    tasks.spawn(spec, move |stop| {
        let store = store.clone();
        async move {
            let mut tick = tokio::time::interval(period(retention));
            loop {
                tokio::select! {
                    _ = tick.tick() => sweep(store.as_ref(), retention).await?,
                    () = stop.cancelled() => return Ok(()),
                }
            }
        }
    });
}

async fn sweep(store: &dyn Store, retention: Duration) -> TaskResult {
    let keep = chrono::TimeDelta::from_std(retention).unwrap_or(chrono::TimeDelta::MAX);
    let removed = store.sweep_media(now() - keep).await?;
    if removed > 0 {
        tracing::info!(removed, "swept stored media past MEDIA_RETENTION");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_period_is_a_tenth_of_the_retention_within_bounds() {
        let day = Duration::from_secs(86_400);
        assert_eq!(period(30 * day), Duration::from_secs(3600));
        assert_eq!(period(Duration::from_secs(60)), Duration::from_secs(6));
        assert_eq!(period(Duration::from_secs(2)), Duration::from_secs(1));
    }
}
