use std::process::ExitCode;

use tokio::net::TcpListener;
use wa_gateway::{telemetry, App, Config};

fn main() -> ExitCode {
    // `wa-gateway __guard ...` is this binary watching over one browser (see whatsapp::guard):
    // decided before any runtime, settings or logging start.
    if let Some(code) = wa_gateway::whatsapp::guard::main_if_requested() {
        return code;
    }
    gateway()
}

#[tokio::main]
async fn gateway() -> ExitCode {
    let dotenv = dotenvy::dotenv();
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("wa-gateway: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(config.log_format);
    if let Ok(path) = dotenv {
        tracing::info!(path = %path.display(), "read settings from .env");
    }
    match run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "wa-gateway stopped");
            eprintln!("wa-gateway: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> Result<(), wa_gateway::StartError> {
    let addr = (config.host, config.port);
    let app = App::build(config).await?;
    let listener = TcpListener::bind(addr).await?;
    app.serve(listener, shutdown_signal()).await?;
    Ok(())
}

/// SIGTERM (containers, systemd) or ctrl-c.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown requested");
}
