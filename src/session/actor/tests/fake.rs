//! A scripted browser. The test plays WhatsApp Web: it pushes page events and browser deaths on
//! the current browser's signal channel, decides how launches and sends answer, and reads back
//! what the session asked of its browsers.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{json, Value};
use tokio::sync::{mpsc, watch};

use crate::whatsapp::{
    Driver, DriverError, LaunchSpec, Launcher, OutgoingMessage, PageCaller, PageEvent, SendReply,
    Signal, SignalKind,
};

/// What the session asked of a browser.
#[derive(Debug, Clone, PartialEq)]
pub enum Call {
    Send {
        to: String,
        body: String,
    },
    PairingCode {
        phone: String,
    },
    /// A feature operation, run by the browser with this pid.
    Page {
        op: String,
        pid: u32,
    },
    /// WhatsApp Web was loaded (again).
    Open,
    Logout,
    Reload,
    Close,
}

/// Everything the fake knows; tests wait on it changing.
#[derive(Default)]
pub struct Script {
    /// Browsers started so far.
    pub started: u32,
    /// Browsers started and not closed.
    pub open: u32,
    pub calls: Vec<Call>,
    /// The next this many launches fail.
    refuse_launches: u32,
    /// Answers for the next sends, in order; an accepted send when none is left.
    replies: VecDeque<Result<SendReply, DriverError>>,
    /// Answers for the next pairing-code requests, in order; `FAKECODE` when none is left.
    codes: VecDeque<Result<String, DriverError>>,
    /// How the next page loads go, in order; a page loads when none is left.
    loads: VecDeque<Load>,
    /// What the page reports when the session logs out.
    on_logout: Vec<PageEvent>,
    /// The newest browser's generation and signal channel.
    current: Option<(u64, mpsc::Sender<Signal>)>,
}

impl Script {
    pub fn sends(&self) -> usize {
        let sends = self.calls.iter().filter(|c| matches!(c, Call::Send { .. }));
        sends.count()
    }

    pub fn count(&self, call: &Call) -> usize {
        self.calls.iter().filter(|c| *c == call).count()
    }
}

/// How one page load goes.
#[derive(Debug, Clone)]
pub enum Load {
    Fails(String),
    /// No answer: the load is still in flight when the test looks.
    Hangs,
}

#[derive(Clone, Default)]
pub struct FakeLauncher {
    script: Arc<watch::Sender<Script>>,
}

impl FakeLauncher {
    /// Plays one event on the newest browser's page.
    pub async fn page(&self, event: PageEvent) {
        self.signal(SignalKind::Page(Box::new(event))).await;
    }

    pub async fn crash(&self) {
        self.signal(SignalKind::Crashed).await;
    }

    /// The newest browser's process died.
    pub async fn kill(&self) {
        self.signal(SignalKind::BrowserGone).await;
    }

    /// Sends `kind` tagged with an older browser's generation.
    pub async fn stale(&self, kind: SignalKind) {
        let (generation, tx) = self.current();
        let signal = Signal {
            generation: generation - 1,
            kind,
        };
        tx.send(signal).await.expect("the session listens");
    }

    async fn signal(&self, kind: SignalKind) {
        let (generation, tx) = self.current();
        let signal = Signal { generation, kind };
        tx.send(signal).await.expect("the session listens");
    }

    fn current(&self) -> (u64, mpsc::Sender<Signal>) {
        let current = self.script.borrow().current.clone();
        current.expect("a browser was started")
    }

    pub fn refuse_launches(&self, count: u32) {
        self.script.send_modify(|s| s.refuse_launches = count);
    }

    /// The next `count` page loads go as `load` says.
    pub fn next_loads(&self, count: usize, load: Load) {
        let loads = std::iter::repeat_n(load, count);
        self.script.send_modify(|s| s.loads.extend(loads));
    }

    pub fn reply_to_send(&self, reply: Result<SendReply, DriverError>) {
        self.script.send_modify(|s| s.replies.push_back(reply));
    }

    pub fn reply_to_pairing_code(&self, reply: Result<String, DriverError>) {
        self.script.send_modify(|s| s.codes.push_back(reply));
    }

    pub fn on_logout(&self, events: Vec<PageEvent>) {
        self.script.send_modify(|s| s.on_logout = events);
    }

    pub fn seen<T>(&self, read: impl FnOnce(&Script) -> T) -> T {
        read(&self.script.borrow())
    }

    /// Waits (in virtual time) until `pred` holds.
    pub async fn until(&self, what: &str, pred: impl Fn(&Script) -> bool) {
        let mut rx = self.script.subscribe();
        let waited = tokio::time::timeout(Duration::from_secs(600), rx.wait_for(|s| pred(s)));
        assert!(
            matches!(waited.await, Ok(Ok(_))),
            "the fake never saw: {what}"
        );
    }
}

#[async_trait]
impl Launcher for FakeLauncher {
    async fn start(
        &self,
        _spec: &LaunchSpec,
        generation: u64,
        signals: mpsc::Sender<Signal>,
    ) -> Result<Box<dyn Driver>, DriverError> {
        let mut started = None;
        self.script.send_modify(|s| {
            if s.refuse_launches > 0 {
                s.refuse_launches -= 1;
                return;
            }
            s.started += 1;
            s.open += 1;
            s.current = Some((generation, signals.clone()));
            started = Some(s.started);
        });
        let Some(number) = started else {
            return Err(DriverError::Timeout("launch"));
        };
        Ok(Box::new(FakeDriver {
            script: self.script.clone(),
            pid: 1000 + number,
            generation,
            signals,
        }))
    }
}

struct FakeDriver {
    script: Arc<watch::Sender<Script>>,
    pid: u32,
    generation: u64,
    signals: mpsc::Sender<Signal>,
}

impl FakeDriver {
    fn record(&self, call: Call) {
        self.script.send_modify(|s| s.calls.push(call));
    }
}

#[async_trait]
impl Driver for FakeDriver {
    fn pid(&self) -> Option<u32> {
        Some(self.pid)
    }

    fn caller(&self) -> Arc<dyn PageCaller> {
        Arc::new(FakeCaller {
            script: self.script.clone(),
            pid: self.pid,
        })
    }

    async fn send(&self, to: &str, message: &OutgoingMessage) -> Result<SendReply, DriverError> {
        let (to, body) = (to.to_owned(), message.text.clone());
        let mut reply = None;
        self.script.send_modify(|s| {
            s.calls.push(Call::Send { to, body });
            reply = s.replies.pop_front();
        });
        let number = self.script.borrow().sends();
        reply.unwrap_or_else(|| Ok(accepted(&format!("fake-{number}"))))
    }

    async fn request_pairing_code(&self, phone: &str) -> Result<String, DriverError> {
        let mut reply = None;
        self.script.send_modify(|s| {
            s.calls.push(Call::PairingCode {
                phone: phone.to_owned(),
            });
            reply = s.codes.pop_front();
        });
        reply.unwrap_or_else(|| Ok("FAKECODE".into()))
    }

    async fn logout(&self) -> Result<(), DriverError> {
        self.record(Call::Logout);
        let (events, current) = {
            let s = self.script.borrow();
            (s.on_logout.clone(), s.current.clone())
        };
        if let Some((generation, tx)) = current {
            for event in events {
                let kind = SignalKind::Page(Box::new(event));
                let _ = tx.send(Signal { generation, kind }).await;
            }
        }
        Ok(())
    }

    fn open(&self) {
        let mut load = None;
        self.script.send_modify(|s| {
            s.calls.push(Call::Open);
            load = s.loads.pop_front();
        });
        let kind = match load {
            None => SignalKind::Loaded,
            Some(Load::Fails(error)) => SignalKind::LoadFailed(error),
            Some(Load::Hangs) => return,
        };
        let signal = Signal {
            generation: self.generation,
            kind,
        };
        self.signals.try_send(signal).expect("the session listens");
    }

    async fn reload(&self) -> Result<(), DriverError> {
        self.record(Call::Reload);
        Ok(())
    }

    async fn close(self: Box<Self>) {
        self.script.send_modify(|s| {
            s.calls.push(Call::Close);
            s.open -= 1;
        });
    }
}

/// What the page answers for a send WhatsApp accepted.
pub fn accepted(id: &str) -> SendReply {
    SendReply {
        ok: true,
        id: Some(id.to_owned()),
        t: Some(1_700_000_000),
        ack: Some(1),
        code: None,
        detail: None,
        kind: Some("chat".into()),
        media: None,
    }
}

/// What the page answers for a send WhatsApp refused with `code`.
pub fn refused(code: &str, detail: &str) -> SendReply {
    SendReply {
        ok: false,
        id: None,
        t: None,
        ack: None,
        code: Some(code.to_owned()),
        detail: Some(detail.to_owned()),
        kind: None,
        media: None,
    }
}

/// Answers every operation with its name, its arguments and the pid of the browser that ran it.
struct FakeCaller {
    script: Arc<watch::Sender<Script>>,
    pid: u32,
}

#[async_trait]
impl PageCaller for FakeCaller {
    async fn call(&self, op: &str, args: Value, _limit: Duration) -> Result<Value, DriverError> {
        let (op, pid) = (op.to_owned(), self.pid);
        self.script.send_modify(|s| {
            s.calls.push(Call::Page {
                op: op.clone(),
                pid,
            })
        });
        Ok(json!({ "op": op, "args": args, "pid": pid }))
    }
}
