//! Unit tests of the recombined benchmark knowledge base and its queries.

use super::*;
use crate::domain::entry::tests::entry;
use crate::domain::eval::EvalQuery;

fn sample() -> Vec<EntryContent> {
    vec![
        EntryContent {
            questions: vec!["租房能取公积金吗".into(), "江州租房提取".into()],
            answer: "到江州市民服务中心（东湖区政务路88号）办理，8:30—12:00，电话86612300。".into(),
            materials: vec!["身份证".into(), "租房合同".into(), "婚姻证明".into()],
            keywords: vec!["租房".into()],
            valid_from: Some("2024-01-01".into()),
            ..entry("GJJ-001", "租房怎么提取公积金？")
        },
        EntryContent {
            questions: vec!["东湖区社保卡在哪办".into()],
            region: "东湖区".into(),
            category: "社保".into(),
            ..entry("SB-024", "东湖区社保卡即时制卡在哪里办理？")
        },
        EntryContent {
            questions: vec!["西山区社保卡在哪办".into()],
            region: "西山区".into(),
            category: "社保".into(),
            ..entry("SB-025", "西山区社保卡即时制卡在哪里办理？")
        },
        EntryContent {
            questions: vec!["社保卡丢了".into()],
            category: "社保".into(),
            ..entry("SB-001", "社保卡丢了怎么补办？")
        },
    ]
}

#[test]
fn the_same_seed_gives_the_same_knowledge_base() {
    let a = recombine(&sample(), 50, 7);
    let b = recombine(&sample(), 50, 7);
    let c = recombine(&sample(), 50, 8);
    assert_eq!(a.entries, b.entries);
    assert_ne!(a.entries, c.entries);
    assert_eq!(a.entries.len(), 50);
}

#[test]
fn a_smaller_knowledge_base_is_a_prefix_of_a_larger_one() {
    let small = recombine(&sample(), 20, 1);
    let large = recombine(&sample(), 60, 1);
    assert_eq!(small.entries[..], large.entries[..20]);
}

#[test]
fn district_versions_carry_their_district() {
    let kb = recombine(&sample(), 40, 3);
    let ids: HashSet<&str> = kb.entries.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids.len(), kb.entries.len(), "ids are unique");
    for e in &kb.entries[4..] {
        assert_ne!(e.region, CITY_WIDE);
        assert!(e.title.contains(&e.region), "{}", e.title);
        assert!(e.keywords.contains(&e.region));
        assert!(
            !e.answer.contains("东湖区") && !e.answer.contains("江州"),
            "{}",
            e.answer
        );
        assert!(kb.districts.iter().any(|d| d.name == e.region));
        assert!(["GJJ-001", "SB-024", "SB-025", "SB-001"].contains(&source_id(&e.id)));
    }
    // The two sample district entries are one matter: one version per district at most.
    for d in &kb.districts {
        let cards = kb
            .entries
            .iter()
            .filter(|e| e.region == d.name && e.title.contains("社保卡即时制卡"));
        assert!(cards.count() <= 1);
    }
}

#[test]
fn invented_districts_avoid_the_sample_names() {
    let taken: HashSet<String> = ["东湖区", "东湖"].iter().map(|s| s.to_string()).collect();
    let list = districts(2000, 5, &taken);
    assert_eq!(list.len(), 2000);
    let names: HashSet<&str> = list.iter().map(|d| d.name.as_str()).collect();
    let shorts: HashSet<&str> = list.iter().map(|d| d.short.as_str()).collect();
    assert_eq!(names.len(), 2000);
    assert_eq!(shorts.len(), 2000);
    assert!(list.iter().all(|d| d.name.starts_with(&d.short)));
    assert!(!shorts.contains("东湖"));
}

#[test]
fn details_vary_but_the_hotline_and_amounts_stay() {
    let mut rng = Rng::new(1);
    let text = "拨打12345或86612300，政务路88号，8:30—12:00，收费80元";
    let varied = vary_details(text, &mut rng);
    assert!(varied.contains("12345") && varied.contains("80元"));
    assert!(!varied.contains("86612300"));
    assert!(varied.contains("—12:") || varied.contains("—11:") || varied.contains("—13:"));
}

#[test]
fn source_ids_strip_the_district_code() {
    assert_eq!(source_id("BDC-001-D0042"), "BDC-001");
    assert_eq!(source_id("BDC-001"), "BDC-001");
    assert_eq!(source_id("QY-D"), "QY-D");
}

#[test]
fn transcripts_have_the_asked_length_and_differ() {
    let eval = vec![EvalQuery {
        qid: "q1".into(),
        query: "我在东湖区，社保卡丢了咋办".into(),
        kind: "district".into(),
        relevant: vec!["SB-024".into()],
        region: Some("东湖区".into()),
    }];
    let regions = vec![("东湖区".to_string(), "东湖".to_string())];
    let list = districts(10, 1, &HashSet::new());
    let queries = bench_queries(&eval, &list, &regions, 3, 2, 300, 9);
    let transcripts: Vec<&BenchQuery> = queries.iter().filter(|q| q.kind == "transcript").collect();
    assert_eq!(transcripts.len(), 2);
    assert!(transcripts.iter().all(|t| t.q.chars().count() == 300));
    assert_ne!(transcripts[0].q, transcripts[1].q);
    for t in &transcripts {
        // The call ends on the labelled question, followed by one agent turn.
        let tail: String = t.q.chars().skip(300 - 60).collect();
        assert!(tail.contains("社保卡丢了咋办"), "{}", t.q);
        assert_eq!(t.relevant, vec!["SB-024".to_string()]);
    }
    let copies: Vec<&BenchQuery> = queries[1..]
        .iter()
        .filter(|q| q.kind == "district")
        .collect();
    assert!(!copies.is_empty());
    for c in copies {
        let region = c.region.as_deref().unwrap_or_default();
        assert!(c.q.contains(region) && !c.q.contains("东湖"), "{c:?}");
    }
    let load = load_questions(&queries, &list, 40, 9);
    assert_eq!(load.len(), 40);
    assert!(load.iter().all(|q| q.kind != "transcript"));
    let distinct: HashSet<&str> = load.iter().map(|q| q.q.as_str()).collect();
    assert_eq!(distinct.len(), 40);
}
