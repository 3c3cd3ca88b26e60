//! `--page-weight`: a page with a weight holds that much more JS heap and DOM once loaded (so
//! that memory is measured against a page as heavy as the real one), and still links and syncs
//! as the bare page does.

mod common;

use std::time::{Duration, Instant};

use chromiumoxide::cdp::browser_protocol::memory::GetDomCountersParams;
use chromiumoxide::cdp::js_protocol::runtime::GetHeapUsageParams;
use common::{link, TestBrowser};
use wa_sim::{SimConfig, Simulator};

const MIB: f64 = 1024.0 * 1024.0;
const WEIGHT_MIB: u32 = 48;

/// JS heap plus Blink's (the DOM) in use, in MiB, and the page's DOM nodes.
async fn held(browser: &TestBrowser) -> (f64, i64) {
    let heap = browser
        .page
        .execute(GetHeapUsageParams::default())
        .await
        .unwrap();
    let dom = browser
        .page
        .execute(GetDomCountersParams::default())
        .await
        .unwrap();
    let used = (heap.result.used_size + heap.result.embedder_heap_used_size) / MIB;
    (used, dom.result.nodes)
}

/// Links a page of `weight` MiB; once `enough` says its memory is there (or 60 s passed),
/// returns what it holds.
async fn linked_page(weight: u32, enough: impl Fn((f64, i64)) -> bool) -> (f64, i64) {
    let sim = Simulator::start(SimConfig {
        page_weight_mib: weight,
        ..SimConfig::fast()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let browser = TestBrowser::launch(&dir.path().join("profile")).await;
    link(&browser, &sim, "923001234567").await;
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut now = held(&browser).await;
    while !enough(now) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        now = held(&browser).await;
    }
    browser.close().await;
    sim.shutdown().await;
    now
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_weighted_page_links_and_holds_more_heap_and_dom_than_the_bare_one() {
    let (bare_heap, bare_nodes) = linked_page(0, |_| true).await;
    // The builder's estimates are scaled so that the browser's PSS grows by the weight; what V8
    // and Blink report as in use is a part of that (no heap slack, no layout): a fifth at least.
    let want_heap = bare_heap + f64::from(WEIGHT_MIB) / 5.0;
    let want_nodes = bare_nodes + 5000;
    let (heap, nodes) = linked_page(WEIGHT_MIB, |(h, n)| h >= want_heap && n >= want_nodes).await;
    assert!(
        heap >= want_heap,
        "heap {heap:.1} MiB, bare page {bare_heap:.1} MiB"
    );
    assert!(
        nodes >= want_nodes,
        "{nodes} DOM nodes, bare page {bare_nodes}"
    );
}
