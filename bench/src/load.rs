//! A lean HTTP/1.1 load client: one keep-alive hyper connection per worker.

use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;

pub struct Outcome {
    pub ok: u64,
    pub errors: u64,
    pub latencies: Vec<Duration>,
}

/// GETs `path` on `addr` back to back until `end`; counts what completed after `warm`.
pub async fn client(addr: String, path: &'static str, warm: Instant, end: Instant) -> Outcome {
    let mut out = Outcome {
        ok: 0,
        errors: 0,
        latencies: Vec::new(),
    };
    let Ok(stream) = tokio::net::TcpStream::connect(&addr).await else {
        out.errors += 1;
        return out;
    };
    let _ = stream.set_nodelay(true);
    let Ok((mut sender, conn)) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await
    else {
        out.errors += 1;
        return out;
    };
    let driver = tokio::spawn(conn);
    while Instant::now() < end {
        let req = hyper::Request::get(path)
            .header(hyper::header::HOST, addr.as_str())
            .body(Empty::<Bytes>::new())
            .expect("a valid request");
        let t0 = Instant::now();
        let ok = match sender.send_request(req).await {
            Ok(resp) => {
                let status = resp.status();
                resp.into_body().collect().await.is_ok() && status.is_success()
            }
            Err(_) => false,
        };
        if t0 < warm {
            continue;
        }
        if ok {
            out.ok += 1;
            out.latencies.push(t0.elapsed());
        } else {
            out.errors += 1;
            break;
        }
    }
    driver.abort();
    out
}
