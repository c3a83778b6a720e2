//! Open-loop HTTP load on `GET /api/v1/search`: requests leave at a fixed rate whatever the
//! server's pace (as calls reach a hotline), and each one's latency counts from the moment it
//! was due, so a slow server cannot hide its queue the way a closed loop (wrk) lets it.
//!
//! `benches/load.sh` runs it with `RATES="50 100"`; by hand: `HOTLINE_URL=http://127.0.0.1:8080
//! HOTLINE_LOAD_TOKEN=… HOTLINE_LOAD_QUERIES=FILE RATE=50 DURATION=30 OFFSET=0 cargo bench
//! --bench open_loop` (FILE: one question a line, optionally a tab and the caller's district;
//! OFFSET: the line to start from). Prints
//! `RESULT` lines like load.sh's. Without `HOTLINE_URL` (as under `cargo test --all-targets`) it
//! only checks its own percentile arithmetic.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

/// Requests still waiting this long after they were due count as timed out.
const TIMEOUT: Duration = Duration::from_secs(10);

fn main() {
    let Ok(base) = std::env::var("HOTLINE_URL") else {
        assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0], 50.0), 2.0);
        assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0], 99.0), 4.0);
        eprintln!("open_loop: HOTLINE_URL not set; nothing to load");
        return;
    };
    let token = std::env::var("HOTLINE_LOAD_TOKEN").unwrap_or_default();
    let rate: f64 = env_parse("RATE").unwrap_or(50.0);
    let seconds: f64 = env_parse("DURATION").unwrap_or(30.0);
    let mut paths = questions(std::env::var("HOTLINE_LOAD_QUERIES").ok().as_deref());
    // OFFSET: the question to start from, so that runs over one file ask different questions.
    let offset = env_parse::<usize>("OFFSET").unwrap_or(0) % paths.len().max(1);
    paths.rotate_left(offset);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(base, token, rate, seconds, paths));
}

async fn run(base: String, token: String, rate: f64, seconds: f64, paths: Vec<String>) {
    let client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .build()
        .expect("client");
    let total = (rate * seconds).round() as usize;
    let latencies = Arc::new(Mutex::new(Vec::with_capacity(total)));
    let failures = Arc::new(Mutex::new(0usize));
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(total);
    for i in 0..total {
        let due = start + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(due.into()).await;
        let request = client
            .get(format!("{base}{}", paths[i % paths.len()]))
            .bearer_auth(&token);
        let (latencies, failures) = (latencies.clone(), failures.clone());
        tasks.push(tokio::spawn(async move {
            let ok = match request.send().await {
                Ok(response) => response.status().is_success() && response.bytes().await.is_ok(),
                Err(_) => false,
            };
            let ms = due.elapsed().as_secs_f64() * 1000.0;
            if ok {
                latencies.lock().await.push(ms);
            } else {
                *failures.lock().await += 1;
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let mut ms = latencies.lock().await.clone();
    ms.sort_by(f64::total_cmp);
    let failed = *failures.lock().await;
    println!(
        "RESULT open_loop offered_rps={rate:.1} requests={total} completed_rps={:.1} failed={failed}",
        ms.len() as f64 / elapsed
    );
    println!(
        "RESULT open_loop_latency_ms p50={:.2} p90={:.2} p99={:.2} max={:.2}",
        percentile(&ms, 50.0),
        percentile(&ms, 90.0),
        percentile(&ms, 99.0),
        ms.last().copied().unwrap_or(0.0)
    );
}

/// The nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Search paths for the questions of `file` (or a few built-in ones).
fn questions(file: Option<&str>) -> Vec<String> {
    let text = file
        .filter(|f| !f.is_empty())
        .map(|f| std::fs::read_to_string(f).expect("read the questions file"))
        .unwrap_or_else(|| "身份证丢了怎么补办\n公积金 租房\n社保卡不办要带什么材料\n".into());
    text.lines()
        .filter_map(|line| {
            let (q, region) = line.split_once('\t').unwrap_or((line, ""));
            let q = q.trim();
            if q.is_empty() {
                return None;
            }
            let mut path = format!("/api/v1/search?q={}", encode(q));
            if !region.trim().is_empty() {
                path.push_str(&format!("&region={}", encode(region.trim())));
            }
            Some(path)
        })
        .collect()
}

/// Percent-encodes everything but unreserved characters.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn env_parse<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::var(name).ok()?.parse().ok()
}
