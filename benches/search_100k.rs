//! Search latency per query on the 100,000-entry benchmark knowledge base (`hotline bench-kb`:
//! the sample recombined into district versions): every distinct question of the eval sets and
//! a few 2,000-character call transcripts, each timed on its own over several passes, with
//! p50/p90/p99/max per kind. Criterion reports means only, hence this plain harness.
//!
//! Run with `cargo bench --bench search_100k` (`HOTLINE_SEMANTIC=off` by default here; see
//! benches/README.md for the settings). Under `cargo test --all-targets` (no `--bench` flag) it
//! runs one pass over a few queries on 1,000 entries, as a smoke test.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use hotline::cli::bench_kb;
use hotline::config::SemanticMode;
use hotline::domain::search::SearchRequest;
use hotline::domain::synthetic::{source_id, BenchQuery};
use hotline::{App, Config};
use tokio::runtime::Runtime;

/// Entries in benchmark mode (`HOTLINE_BENCH_ENTRIES` overrides).
const ENTRIES: usize = 100_000;
/// Entries in test mode.
const ENTRIES_TEST: usize = 1_000;
/// Timed passes over all queries in benchmark mode (`HOTLINE_BENCH_PASSES` overrides).
const PASSES: usize = 5;
/// Queries per kind in test mode.
const QUERIES_PER_KIND_TEST: usize = 3;
/// Seed of the knowledge base (the `hotline bench-kb` default).
const SEED: u64 = 12345;
/// Distinct transcripts.
const TRANSCRIPTS: usize = 8;
/// Kinds in report order.
const KINDS: [&str; 6] = [
    "keywords",
    "colloquial",
    "asr",
    "district",
    "unanswerable",
    "transcript",
];

fn main() {
    let benchmarking = std::env::args().any(|arg| arg == "--bench");
    let entries = env_usize("HOTLINE_BENCH_ENTRIES").unwrap_or(if benchmarking {
        ENTRIES
    } else {
        ENTRIES_TEST
    });
    let passes = env_usize("HOTLINE_BENCH_PASSES").unwrap_or(if benchmarking { PASSES } else { 1 });
    let semantic = match std::env::var("HOTLINE_SEMANTIC").as_deref() {
        Ok("on") => SemanticMode::On,
        Ok("auto") => SemanticMode::Auto,
        _ => SemanticMode::Off,
    };
    let crate_root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let knowledge = crate_root.join("knowledge");
    // HOTLINE_BENCH_DIR keeps the generated files, database and index between runs.
    let temp = tempfile::tempdir().expect("tempdir");
    let dir = std::env::var_os("HOTLINE_BENCH_DIR")
        .filter(|_| benchmarking)
        .map_or_else(|| temp.path().to_path_buf(), PathBuf::from);
    let stamp = format!("entries={entries} seed={SEED} transcripts={TRANSCRIPTS}\n");
    let kb_dir = dir.join("kb");
    let kb_stamp = kb_dir.join("stamp");
    if std::fs::read_to_string(&kb_stamp).ok().as_deref() != Some(stamp.as_str()) {
        let started = Instant::now();
        let kb = bench_kb::write(&knowledge, &kb_dir, entries, SEED, TRANSCRIPTS)
            .expect("write the benchmark knowledge base");
        std::fs::write(&kb_stamp, &stamp).expect("write the stamp");
        let _ = std::fs::remove_file(dir.join("imported"));
        eprintln!(
            "benchmark knowledge base: {} entries, {} regions, {} queries written in {:.1?}",
            kb.entries,
            kb.regions,
            kb.queries.len(),
            started.elapsed()
        );
    }
    let queries = read_queries(&kb_dir.join("eval/queries.jsonl"), benchmarking);

    let rt = Runtime::new().expect("tokio runtime");
    let config = Config {
        database_url: format!("sqlite://{}", dir.join("hotline.db").display()),
        index_dir: dir.join("indexes"),
        knowledge_dir: knowledge.clone(),
        model_dir: crate_root.join("models"),
        semantic,
        ..Config::default()
    };
    let app = rt.block_on(App::open(config)).expect("open the app");
    let imported = dir.join("imported");
    if std::fs::read_to_string(&imported).ok().as_deref() == Some(stamp.as_str()) {
        let started = Instant::now();
        let sync = rt.block_on(app.sync_index(false)).expect("sync the index");
        eprintln!(
            "reused {}: index {sync:?} in {:.1?}",
            dir.display(),
            started.elapsed()
        );
    } else {
        let started = Instant::now();
        let files = [
            kb_dir.join("departments.jsonl"),
            kb_dir.join("entries.jsonl"),
        ];
        let report = rt.block_on(app.import(&files)).expect("import");
        eprintln!(
            "imported {} entries (created {}, updated {}) and indexed in {:.1?}",
            report.write.created + report.write.updated + report.write.unchanged,
            report.write.created,
            report.write.updated,
            started.elapsed()
        );
        std::fs::write(&imported, &stamp).expect("write the import stamp");
    }
    if semantic != SemanticMode::Off {
        let started = Instant::now();
        let encoder = rt
            .block_on(app.open_encoder(1, false))
            .expect("open the model");
        if let Some(encoder) = encoder {
            // HOTLINE_BENCH_VECTORS=borrowed: embed only the sample's own entries and give each
            // district version its sample entry's vectors, slightly moved (hours of embedding
            // saved; the search's cost is the same, its quality is not measured by this).
            let n = if std::env::var("HOTLINE_BENCH_VECTORS").as_deref() == Ok("borrowed") {
                let n = rt
                    .block_on(app.borrow_vectors(&encoder, source_id, false))
                    .expect("borrow vectors");
                eprintln!("semantic: {n} entries got borrowed vectors");
                0
            } else {
                rt.block_on(app.embed_missing(&encoder))
                    .expect("embed the entries")
            };
            eprintln!(
                "semantic: {n} entries embedded in {:.1?}",
                started.elapsed()
            );
        } else {
            eprintln!("semantic: no model installed; lexical only");
        }
    }

    // HOTLINE_BENCH_KINDS=transcript,asr times only those kinds (for profiling one of them).
    let kinds = std::env::var("HOTLINE_BENCH_KINDS").ok();
    let requests: Vec<(&BenchQuery, SearchRequest)> = queries
        .iter()
        .filter(|q| {
            kinds
                .as_deref()
                .is_none_or(|kinds| kinds.split(',').any(|k| k.trim() == q.kind))
        })
        .map(|q| {
            let request = SearchRequest::new(&q.q, q.region.clone(), None, None, None, false)
                .expect("valid request");
            (q, request)
        })
        .collect();
    // Warm-up pass: page cache, lazily built structures. Its results give the quality line.
    // With the dense stage it is also the pass in which every question is embedded (the
    // passes after it find the question vectors cached), so it is timed too.
    let mut found: Vec<(Vec<String>, bool)> = Vec::with_capacity(requests.len());
    let mut first: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for (query, request) in &requests {
        let t = Instant::now();
        let results = rt
            .block_on(app.run_search(request.clone()))
            .expect("search");
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        record(&mut first, &query.kind, ms);
        let ids = results
            .hits
            .iter()
            .map(|h| h.entry.content.id.clone())
            .collect();
        found.push((ids, results.no_answer));
    }
    let mut times: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    let mut each: Vec<Vec<f64>> = vec![Vec::new(); requests.len()];
    let started = Instant::now();
    for _ in 0..passes {
        for (i, (query, request)) in requests.iter().enumerate() {
            let t = Instant::now();
            let results = rt
                .block_on(app.run_search(request.clone()))
                .expect("search");
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            std::hint::black_box(results);
            record(&mut times, &query.kind, ms);
            each[i].push(ms);
        }
    }
    // HOTLINE_BENCH_SLOWEST=N: the N queries slowest by their median over the passes.
    if let Some(n) = env_usize("HOTLINE_BENCH_SLOWEST") {
        let mut medians: Vec<(f64, f64, usize)> = each
            .iter_mut()
            .enumerate()
            .map(|(i, t)| {
                t.sort_by(f64::total_cmp);
                (t[t.len() / 2], t[t.len() - 1], i)
            })
            .collect();
        medians.sort_by(|a, b| b.0.total_cmp(&a.0));
        println!("\nslowest queries (median ms, max ms, kind, region, query):");
        for (median, max, i) in medians.into_iter().take(n) {
            let (query, _) = &requests[i];
            let text: String = query.q.chars().take(60).collect();
            println!(
                "{median:>7.2} {max:>7.2}  {:<12} {:<6} {text}",
                query.kind,
                query.region.as_deref().unwrap_or("-")
            );
        }
    }
    let wall = started.elapsed();
    rt.block_on(app.close());

    println!(
        "\nsearch latency, {entries} entries, semantic {semantic:?}, {passes} passes over {} \
         distinct queries ({} searches in {:.1?}; load {})",
        requests.len(),
        requests.len() * passes,
        wall,
        load_average()
    );
    print_table(&mut times, Some((&requests, &found)));
    if semantic != SemanticMode::Off {
        println!("\nfirst pass: every question embedded (the query-vector cache empty)");
        print_table(&mut first, None);
    }
}

/// Adds one search's time under its kind and, unless it is a transcript, under `questions`.
fn record<'k>(times: &mut BTreeMap<&'k str, Vec<f64>>, kind: &'k str, ms: f64) {
    times.entry(kind).or_default().push(ms);
    if kind != "transcript" {
        times.entry("questions").or_default().push(ms);
    }
}

/// The timed requests with what each found (its ids, and whether it was `no_answer`).
type Found<'a> = (
    &'a [(&'a BenchQuery, SearchRequest)],
    &'a [(Vec<String>, bool)],
);

/// Latency percentiles per kind, and with the requests and their results the quality columns.
fn print_table(times: &mut BTreeMap<&str, Vec<f64>>, quality_of: Option<Found<'_>>) {
    println!(
        "{:<13} {:>5} {:>8} {:>8} {:>8} {:>8} {:>8}   {:>7} {:>9}",
        "kind", "n", "mean_ms", "p50_ms", "p90_ms", "p99_ms", "max_ms", "R@5", "no_answer"
    );
    for kind in KINDS.iter().copied().chain(["questions"]) {
        let Some(list) = times.get_mut(kind) else {
            continue;
        };
        list.sort_by(f64::total_cmp);
        let (recall, flagged) = quality_of
            .map(|(requests, found)| quality(requests, found, kind))
            .map_or((None, None), |(r, f)| (r, Some(f)));
        println!(
            "{kind:<13} {:>5} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>8.2}   {:>7} {:>9}",
            list.len(),
            list.iter().sum::<f64>() / list.len() as f64,
            percentile(list, 50.0),
            percentile(list, 90.0),
            percentile(list, 99.0),
            list[list.len() - 1],
            recall.map_or("-".to_string(), |r| format!("{r:.3}")),
            flagged.map_or("-".to_string(), |f| format!("{f:.3}"))
        );
    }
    if quality_of.is_some() {
        println!(
            "(R@5: a hit of the top 5 is the relevant sample entry or one of its district \
             versions; no_answer: share flagged)"
        );
    }
}

/// Matter recall@5 (relevant sample entry or a district version of it) and the share flagged
/// `no_answer`, for one kind (`questions`: every kind but transcripts).
fn quality(
    requests: &[(&BenchQuery, SearchRequest)],
    found: &[(Vec<String>, bool)],
    kind: &str,
) -> (Option<f64>, f64) {
    let (mut n, mut hits, mut labelled, mut flagged) = (0usize, 0usize, 0usize, 0usize);
    for ((query, _), (ids, no_answer)) in requests.iter().zip(found) {
        let of_kind = if kind == "questions" {
            query.kind != "transcript"
        } else {
            query.kind == kind
        };
        if !of_kind {
            continue;
        }
        n += 1;
        flagged += usize::from(*no_answer);
        if !query.relevant.is_empty() {
            labelled += 1;
            let top5 = ids.iter().take(5);
            hits += usize::from(
                top5.into_iter()
                    .any(|id| query.relevant.iter().any(|r| r.as_str() == source_id(id))),
            );
        }
    }
    let recall = (labelled > 0).then(|| hits as f64 / labelled as f64);
    (recall, flagged as f64 / n.max(1) as f64)
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The benchmark queries; in test mode only a few of each kind.
fn read_queries(path: &Path, benchmarking: bool) -> Vec<BenchQuery> {
    let text = std::fs::read_to_string(path).expect("read the benchmark queries");
    let mut per_kind: BTreeMap<String, usize> = BTreeMap::new();
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str::<BenchQuery>(line).expect("query line"))
        .filter(|q| {
            let seen = per_kind.entry(q.kind.clone()).or_default();
            *seen += 1;
            benchmarking || *seen <= QUERIES_PER_KIND_TEST
        })
        .collect()
}

fn env_usize(name: &str) -> Option<usize> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}
