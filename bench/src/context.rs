//! One gateway run: the simulator, the gateway process on its own temp folder, the webhook
//! receiver, and the connections linked so far.

use tempfile::TempDir;
use wa_sim::Simulator;

use crate::args::Args;
use crate::client::{Api, Result};
use crate::gateway::Gateway;
use crate::webhook::Receiver;

pub struct Run {
    pub flags: String,
    /// The simulated page's weight in MiB (0 = the bare page).
    pub page_weight_mib: u32,
    pub sim: Simulator,
    pub gateway: Gateway,
    pub receiver: Receiver,
    /// `(connection id, phone number)` of every linked connection, in link order.
    pub linked: Vec<(String, String)>,
    _dir: TempDir,
}

impl Run {
    pub async fn start(args: &Args, flags: &str, page_weight_mib: u32) -> Run {
        let sim = Simulator::start(crate::sim_config(page_weight_mib))
            .await
            .expect("the simulator starts");
        let receiver = Receiver::start().await;
        let dir = tempfile::Builder::new()
            .prefix("wa-bench-")
            .tempdir()
            .expect("temp dir");
        let mut env = vec![
            ("WA_WEB_URL".to_owned(), sim.base_url()),
            ("CHROME_FLAGS".to_owned(), flags.to_owned()),
            ("WEBHOOK_URL".to_owned(), receiver.url()),
            ("MAX_SESSIONS".to_owned(), "1000".to_owned()),
            ("QR_MAX_RETRIES".to_owned(), "50".to_owned()),
            // The gateway's own speed, not its protective pacing (1 send/s per connection and
            // 600 requests/min by default).
            ("SEND_MIN_INTERVAL_MS".to_owned(), "0".to_owned()),
            ("RATE_LIMIT_PER_MINUTE".to_owned(), "0".to_owned()),
        ];
        env.extend(args.env.iter().cloned());
        let gateway = Gateway::start(&args.gateway, dir.path(), env).await;
        Run {
            flags: flags.to_owned(),
            page_weight_mib,
            sim,
            gateway,
            receiver,
            linked: Vec::new(),
            _dir: dir,
        }
    }

    pub fn api(&self) -> &Api {
        &self.gateway.api
    }

    /// Links connections until `n` are linked.
    pub async fn ensure_linked(&mut self, n: usize) -> Result<()> {
        while self.linked.len() < n {
            let number = format!("9230{:08}", self.linked.len() + 1);
            let id = self.gateway.api.link(&self.sim, &number).await?;
            self.linked.push((id, number));
        }
        Ok(())
    }

    /// Stops the gateway and checks that none of its browsers is left.
    pub async fn finish(mut self) {
        self.gateway.stop().await;
        let left = self.gateway.ensure_no_browser_left().await;
        if left > 0 {
            eprintln!("warning: {left} browser processes outlived the gateway; killed them");
        }
        self.sim.shutdown().await;
    }
}
