//! The supervised task that applies hibernation's rules: it follows the events (activity,
//! readiness, endings), and once a second puts idle numbers to sleep, keeps the awake ones
//! within `MAX_AWAKE` and starts the wakes that are due, `WAKE_CONCURRENCY` at a time.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast::error::RecvError;
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{plan, Hibernation};
use crate::session::SessionManager;
use crate::store::StoredEvent;
use crate::supervisor::{Spec, Supervisor};

pub const TASK: &str = "hibernation";
const TICK: Duration = Duration::from_secs(1);

/// Starts the scheduler when numbers may sleep at all.
pub fn start(tasks: &mut Supervisor, manager: Arc<SessionManager>) {
    if !manager.hibernation.enabled() {
        return;
    }
    let spec = Spec {
        name: TASK,
        required: false,
    };
    tasks.spawn(spec, move |stop| run(manager.clone(), stop));
}

async fn run(
    manager: Arc<SessionManager>,
    stop: CancellationToken,
) -> crate::supervisor::TaskResult {
    let h = manager.hibernation.clone();
    let mut events = manager.deps.bus.subscribe();
    let mut evicted = h.evicted.lock().await;
    let permits = Arc::new(Semaphore::new(h.settings.wake_concurrency));
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => return Ok(()),
            event = events.recv() => match event {
                Ok(event) => h.on_event(&event),
                Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return Ok(()),
            },
            Some((id, claim)) = evicted.recv() => {
                let manager = manager.clone();
                tokio::spawn(async move { manager.fall_asleep(&id, claim, "evicted").await });
            }
            _ = tick.tick() => manager.apply_rules(&permits),
        }
    }
}

impl Hibernation {
    /// What the events say: activity, a number online, a number gone.
    fn on_event(&self, event: &StoredEvent) {
        let id = &event.connection_id;
        match event.event.as_str() {
            "message" | "message_create" => self.touch(id),
            "ready" => self.online(id),
            "disconnected" => self.forget(id),
            _ => {}
        }
    }
}

impl SessionManager {
    /// One pass of the rules; every transition runs in its own task.
    fn apply_rules(self: &Arc<Self>, permits: &Arc<Semaphore>) {
        let h = &self.hibernation;
        let now = Instant::now();
        if let Some(after) = h.settings.after {
            let idle = plan::idle(&h.slots(), now, after);
            for id in idle {
                if let Some(claim) = h.claim_sleep(&id) {
                    let manager = self.clone();
                    tokio::spawn(async move { manager.fall_asleep(&id, claim, "idle").await });
                }
            }
        }
        for (id, claim) in h.over_budget(None) {
            let manager = self.clone();
            tokio::spawn(async move { manager.fall_asleep(&id, claim, "evicted").await });
        }
        self.start_due_wakes(permits, now);
        let (awake, asleep) = h.counts();
        self.deps.metrics.hibernation.set_counts(awake, asleep);
    }

    /// Starts the wakes that are due, as many as the permits allow, most overdue first.
    fn start_due_wakes(self: &Arc<Self>, permits: &Arc<Semaphore>, now: Instant) {
        let h = &self.hibernation;
        let due = plan::due(&h.slots(), now);
        for id in due {
            let Ok(permit) = permits.clone().try_acquire_owned() else {
                return;
            };
            if !h.claim_wake(&id, true) {
                continue;
            }
            self.make_room(&id);
            let manager = self.clone();
            tokio::spawn(async move {
                manager.scheduled_wake(&id).await;
                drop(permit);
            });
        }
    }
}
