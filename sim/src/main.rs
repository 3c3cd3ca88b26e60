//! `wa-sim --port N [--state-dir DIR] [--fast]`: the simulator on its own.

use std::path::PathBuf;

use wa_sim::{SimConfig, Simulator};

const USAGE: &str = concat!(
    "usage: wa-sim [--port N] [--host ADDR] [--state-dir DIR] [--fast] [--page-weight MIB]\n",
    "  --port N         listen on port N (default 7000; 0 = any free port)\n",
    "  --host ADDR      listen address (default 127.0.0.1)\n",
    "  --state-dir DIR  keep accounts and linked devices in DIR/state.json across restarts\n",
    "  --fast           test timings (QR refs every 2-3 s, acks 50-150 ms apart)\n",
    "  --unlink-offline-after SECS  unlink a device offline longer than this (default 14 days)\n",
    "  --page-weight M  the page holds M MiB of JS heap and DOM, like the real site (default 0)",
);

fn parse_args() -> Result<SimConfig, String> {
    let mut config = SimConfig::default().with_port(7000);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => {
                let value = args.next().ok_or("--port needs a value")?;
                config.port = value.parse().map_err(|_| format!("bad port {value:?}"))?;
            }
            "--host" => {
                let value = args.next().ok_or("--host needs a value")?;
                config.host = value
                    .parse()
                    .map_err(|_| format!("bad address {value:?}"))?;
            }
            "--state-dir" => {
                config.state_dir = Some(PathBuf::from(
                    args.next().ok_or("--state-dir needs a value")?,
                ))
            }
            "--page-weight" => {
                let value = args.next().ok_or("--page-weight needs a value (MiB)")?;
                config.page_weight_mib = value
                    .parse()
                    .map_err(|_| format!("bad page weight {value:?} (MiB)"))?;
            }
            "--fast" => {
                config = SimConfig {
                    port: config.port,
                    state_dir: config.state_dir,
                    unlink_offline_after: config.unlink_offline_after,
                    page_weight_mib: config.page_weight_mib,
                    ..SimConfig::fast()
                }
            }
            "--unlink-offline-after" => {
                let value = args.next().ok_or("--unlink-offline-after needs a value")?;
                let secs: u64 = value
                    .parse()
                    .map_err(|_| format!("--unlink-offline-after: {value:?} is not seconds"))?;
                config.unlink_offline_after = std::time::Duration::from_secs(secs);
            }
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(config)
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let config = match parse_args() {
        Ok(config) => config,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    let sim = match Simulator::start(config).await {
        Ok(sim) => sim,
        Err(e) => {
            eprintln!("wa-sim: {e}");
            std::process::exit(1);
        }
    };
    println!("WhatsApp Web: {}", sim.base_url());
    println!("phone:        {}__sim/phone", sim.base_url());
    let _ = tokio::signal::ctrl_c().await;
    sim.shutdown().await;
}
