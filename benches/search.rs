//! Search latency: `App::run_search` (query analysis, tantivy retrieval, district ranking,
//! confidence and snippets; no search-log write) for four kinds of query, on the sample
//! knowledge base and on a grown one of over 10,000 entries built from real Guangdong
//! government service items (`../shared/data`, skipped with a note when absent).
//!
//! Run with `cargo bench --bench search`. Under `cargo test --all-targets` (no `--bench` flag)
//! criterion runs each benchmark once, and the grown knowledge base stops at 3,000 entries so
//! the test run stays quick.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{black_box, Criterion};
use hotline::domain::search::SearchRequest;
use hotline::{App, Config};
use serde_json::{json, Value};
use tokio::runtime::Runtime;

/// Entries the grown knowledge base must reach in benchmark mode.
const GROWN_TARGET: usize = 10_000;
/// In test mode: enough for one copy of the sample entries, so every step still runs once.
const GROWN_TARGET_TEST: usize = 3_000;
/// The Guangdong data, relative to the crate root; `HOTLINE_BENCH_GD_DATA` names another file.
const SHARED_DATA: &str = "../shared/data/guangdong_gov_matters.jsonl";
/// Longest query the service accepts (`MAX_QUERY_CHARS`).
const TRANSCRIPT_CHARS: usize = hotline::domain::search::MAX_QUERY_CHARS;

/// Keywords an agent types.
const KEYWORDS: &str = "公积金 租房";
/// A caller's sentence as spoken.
const COLLOQUIAL: &str = "我刚在东湖区买了套二手房，公积金能取出来付首付吗，要带啥";
/// A sentence with a speech-recognition error (补办 heard as 不办).
const ASR_ERROR: &str = "社保卡不办要带什么材料";

/// Turns of a 12345 call as a speech recogniser writes them: agent and caller, fillers,
/// repetitions and topic changes. Concatenated (and cycled) into a whole-call transcript.
const CALL_TURNS: &[&str] = &[
    "您好，12345政务服务便民热线，工号1087为您服务，请问有什么可以帮您？",
    "喂，你好你好，那个我想问一下啊，就是我去年年底在东湖区那边买了一套二手房嘛，",
    "然后那个贷款是商业贷款，现在每个月还得挺多的，我听朋友说公积金可以取出来还房贷，是不是真的啊？",
    "好的先生，您是想咨询购买二手房提取住房公积金的问题对吧，请问您的公积金是在江州市缴存的吗？",
    "对对对，是在江州交的，单位一直在交，交了大概有五六年了吧，然后我老婆也有公积金，",
    "她是在另外一个公司，也是江州的，我们两个人的能不能一起取啊，还是只能取一个人的？",
    "那个我还想问一下，就是要带什么材料过去，是去哪里办，要不要先在网上预约，我上班比较忙，周末能不能办？",
    "先生您好，购买自住住房的，本人及配偶都可以申请提取，需要提供身份证、结婚证、不动产权证书或者购房合同和发票，",
    "哦哦，那个房产证我已经拿到了，上个月刚办下来的，那契税的发票要不要啊，我找不到了，好像是弄丢了，",
    "还有就是那个，我爸妈那边的事情，我爸今年刚退休，他那个社保卡好像丢了，说是要补办，不办的话看病没法刷卡，",
    "社保卡补办要带什么材料啊，是去银行还是去社保局，能不能我帮他代办，他腿脚不太方便，不太好出门，",
    "然后我妈的医保是在老家交的，现在过来跟我们一起住了，在这边看病能不能报销，要不要办那个异地就医备案，",
    "嗯，还有一个，我家小孩明年九月份要上小学了，我们户口是在西山区的，但是房子买在东湖区，",
    "那他上学是按户口还是按房子来划片啊，需要准备什么东西，什么时候开始报名，网上报名还是现场去学校报名？",
    "不好意思啊问了这么多，主要是平时上班没时间打电话，今天正好请了半天假，想一次问清楚，",
    "好的先生，您反映的几个问题我都记录下来了，我逐一给您答复一下，您看可以吗，",
    "可以可以，你慢慢说，我拿笔记一下，那个公积金的电话是多少来着，我之前打过一次没打通，一直占线，",
    "另外就是那个租房的事情，我弟弟刚毕业过来江州上班，现在在高新区租房子住，他能不能用公积金交房租啊，",
    "他单位刚给他交了三个月的公积金，是不是要交满多久才能取，一个月能取多少，要不要房东签字盖章什么的，",
    "行，那我知道了，谢谢你啊，你们这个服务态度挺好的，那就先这样，有问题我再打过来，再见。",
];

fn main() {
    let mut criterion = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .configure_from_args();
    // Criterion runs benchmarks only with `--bench` (as `cargo bench` passes); otherwise it
    // runs each once as a test.
    let benchmarking = std::env::args().any(|arg| arg == "--bench");
    let rt = Runtime::new().expect("tokio runtime");
    let crate_root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let knowledge = crate_root.join("knowledge");
    let transcript = transcript();
    let queries = [
        ("keywords", KEYWORDS.to_string()),
        ("colloquial", COLLOQUIAL.to_string()),
        ("asr_error", ASR_ERROR.to_string()),
        ("transcript_2000", transcript),
    ];

    let sample_dir = tempfile::tempdir().expect("tempdir");
    let sample = rt.block_on(open_app(sample_dir.path(), &knowledge));
    let started = Instant::now();
    let import = rt
        .block_on(sample.import(&[
            knowledge.join("departments.jsonl"),
            knowledge.join("entries"),
        ]))
        .expect("import the sample knowledge base");
    eprintln!(
        "sample knowledge base: {} entries imported and indexed in {:.1?}",
        import.write.created,
        started.elapsed()
    );
    bench_group(&mut criterion, &rt, &sample, "search_sample_kb", &queries);
    rt.block_on(sample.close());
    drop(sample);

    let shared = std::env::var_os("HOTLINE_BENCH_GD_DATA")
        .map_or_else(|| crate_root.join(SHARED_DATA), PathBuf::from);
    if shared.exists() {
        let grown_dir = tempfile::tempdir().expect("tempdir");
        let grown = rt.block_on(open_app(grown_dir.path(), &knowledge));
        let target = if benchmarking {
            GROWN_TARGET
        } else {
            GROWN_TARGET_TEST
        };
        let files = write_grown_kb(&shared, &knowledge, &grown_dir.path().join("grown"), target);
        let started = Instant::now();
        let import = rt
            .block_on(grown.import(&files))
            .expect("import the grown knowledge base");
        eprintln!(
            "grown knowledge base: {} entries ({} departments) imported and indexed in {:.1?}",
            import.write.created,
            import.write.departments,
            started.elapsed()
        );
        bench_group(&mut criterion, &rt, &grown, "search_grown_kb", &queries);
        rt.block_on(grown.close());
    } else {
        eprintln!(
            "NOTE: {} not found; skipping the grown-knowledge-base benchmarks \
             (see ../shared/data/README.md).",
            shared.display()
        );
    }

    criterion.final_summary();
}

async fn open_app(dir: &Path, knowledge: &Path) -> App {
    let config = Config {
        database_url: format!("sqlite://{}", dir.join("hotline.db").display()),
        index_dir: dir.join("indexes"),
        knowledge_dir: knowledge.to_path_buf(),
        ..Config::default()
    };
    App::open(config).await.expect("open the app")
}

fn bench_group(
    criterion: &mut Criterion,
    rt: &Runtime,
    app: &App,
    group: &str,
    queries: &[(&str, String)],
) {
    let mut group = criterion.benchmark_group(group);
    for (name, q) in queries {
        let request = SearchRequest::new(q, None, None, None, None, false).expect("valid request");
        // One search outside the measurement: shows what the benchmark is searching for.
        let found = rt
            .block_on(app.run_search(request.clone()))
            .expect("search");
        let top: Vec<&str> = found
            .hits
            .iter()
            .take(3)
            .map(|h| h.entry.content.id.as_str())
            .collect();
        eprintln!(
            "  {name} ({} chars): top {top:?}, confidence {:.2}, no_answer {}",
            q.chars().count(),
            found.confidence,
            found.no_answer
        );
        group.bench_function(*name, |b| {
            b.iter(|| {
                rt.block_on(app.run_search(black_box(request.clone())))
                    .expect("search")
            });
        });
    }
    group.finish();
}

/// A whole-call transcript of at most [`TRANSCRIPT_CHARS`] characters, cycling the call turns.
fn transcript() -> String {
    let mut text = String::new();
    let mut chars = 0;
    for turn in CALL_TURNS.iter().cycle() {
        let len = turn.chars().count();
        if chars + len > TRANSCRIPT_CHARS {
            text.extend(turn.chars().take(TRANSCRIPT_CHARS - chars));
            break;
        }
        text.push_str(turn);
        chars += len;
    }
    text
}

/// Writes the grown knowledge base as import files into `dir` and returns the paths to import:
/// the sample knowledge base, the Guangdong items as entries (with one department per distinct
/// `dept`), and copies of the sample entries with suffixed ids until `target` entries are reached.
fn write_grown_kb(shared: &Path, knowledge: &Path, dir: &Path, target: usize) -> Vec<PathBuf> {
    std::fs::create_dir_all(dir).expect("create the grown knowledge base directory");
    let items: Vec<Value> = std::fs::read_to_string(shared)
        .expect("read the Guangdong data")
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).expect("Guangdong data line is JSON"))
        .collect();

    let mut departments: BTreeMap<String, String> = BTreeMap::new();
    for item in &items {
        let dept = text(item, "dept");
        if !departments.contains_key(&dept) {
            let code = format!("GD-D{:03}", departments.len() + 1);
            departments.insert(dept, code);
        }
    }
    let mut department_lines = String::new();
    for (name, code) in &departments {
        let line = json!({
            "code": code,
            "name": name,
            "duties": format!("{name}负责的政务服务事项（广东省政务服务网数据）。"),
            "keywords": [],
        });
        writeln!(department_lines, "{line}").expect("write to string");
    }
    let departments_file = dir.join("departments_gd.jsonl");
    std::fs::write(&departments_file, department_lines).expect("write departments");

    let mut entry_lines = String::new();
    for (i, item) in items.iter().enumerate() {
        writeln!(
            entry_lines,
            "{}",
            guangdong_entry(i + 1, item, &departments)
        )
        .expect("write to string");
    }
    let entries_file = dir.join("gd_entries.jsonl");
    std::fs::write(&entries_file, entry_lines).expect("write entries");

    let mut sample_entries: Vec<Value> = Vec::new();
    let mut sample_files: Vec<PathBuf> = std::fs::read_dir(knowledge.join("entries"))
        .expect("read the sample entries")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    sample_files.sort();
    for file in sample_files {
        let text = std::fs::read_to_string(&file).expect("read sample entries");
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            sample_entries.push(serde_json::from_str(line).expect("sample entry is JSON"));
        }
    }
    let mut total = sample_entries.len() + items.len();
    let mut replica_lines = String::new();
    let mut copy = 0;
    while total < target {
        copy += 1;
        for entry in &sample_entries {
            let mut entry = entry.clone();
            let id = format!("{}-R{copy:02}", entry["id"].as_str().expect("entry id"));
            entry["id"] = Value::String(id);
            writeln!(replica_lines, "{entry}").expect("write to string");
        }
        total += sample_entries.len();
    }
    let mut files = vec![
        knowledge.join("departments.jsonl"),
        knowledge.join("entries"),
        departments_file,
        entries_file,
    ];
    if copy > 0 {
        let replicas_file = dir.join("sample_replicas.jsonl");
        std::fs::write(&replicas_file, replica_lines).expect("write replicas");
        files.push(replicas_file);
    }
    eprintln!(
        "grown knowledge base: {} sample + {} Guangdong items + {} sample copies = {total} entries",
        sample_entries.len(),
        items.len(),
        copy * sample_entries.len()
    );
    files
}

/// One Guangdong service item as a knowledge entry: the acceptance conditions and the
/// practical details (time limits, place, phone) as the answer, the materials as a list.
fn guangdong_entry(n: usize, item: &Value, departments: &BTreeMap<String, String>) -> Value {
    let mut answer = text(item, "conditions");
    for (field, label) in [
        ("type", "事项类型"),
        ("time_limit", "承诺办结时限"),
        ("legal_time", "法定办结时限"),
        ("location", ""),
        ("consult_phone", "咨询电话"),
    ] {
        let value = text(item, field);
        if value.is_empty() {
            continue;
        }
        if !answer.is_empty() && !answer.ends_with(['。', '；', '\n']) {
            answer.push('。');
        }
        if label.is_empty() {
            answer.push_str(&value);
        } else {
            let _ = write!(answer, "{label}：{value}");
        }
    }
    answer.push('。');
    let materials: Vec<String> = match &item["materials"] {
        Value::Array(list) => list
            .iter()
            .filter_map(Value::as_str)
            .flat_map(split_materials)
            .collect(),
        Value::String(s) => split_materials(s),
        _ => Vec::new(),
    };
    let category = item["themes"]
        .as_array()
        .and_then(|t| {
            t.iter()
                .filter_map(Value::as_str)
                .find(|t| !t.trim().is_empty())
        })
        .unwrap_or("政务服务事项");
    json!({
        "id": format!("GD-{n:04}"),
        "title": text(item, "title"),
        "questions": [],
        "answer": answer,
        "process": [],
        "materials": materials,
        "department": departments[&text(item, "dept")],
        "category": category,
        "region": "市级",
        "keywords": [],
        "valid_from": null,
        "valid_to": null,
    })
}

/// Splits a materials text into items; `无` (none) gives no items.
fn split_materials(text: &str) -> Vec<String> {
    text.split(['\n', '；', ';'])
        .map(str::trim)
        .filter(|m| !m.is_empty() && *m != "无")
        .map(str::to_string)
        .collect()
}

fn text(item: &Value, field: &str) -> String {
    item[field].as_str().unwrap_or_default().trim().to_string()
}
