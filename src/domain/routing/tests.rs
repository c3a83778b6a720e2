//! Unit tests of the router: kinds matched to a directory, matters, signals, history.

use super::*;

fn dept(code: &str, name: &str, duties: &str, keywords: &[&str]) -> Department {
    Department {
        code: code.into(),
        name: name.into(),
        duties: duties.into(),
        keywords: keywords.iter().map(|s| s.to_string()).collect(),
    }
}

fn directory() -> Vec<Department> {
    vec![
        dept(
            "WATER",
            "测试市供水有限公司",
            "负责城市供水、水费收缴和停水通知。",
            &["停水", "水费"],
        ),
        dept(
            "CG",
            "测试市综合行政执法局",
            "负责市容环境卫生、占道经营和违法建设查处。",
            &["占道", "违建"],
        ),
        dept(
            "GA",
            "测试市公安局",
            "负责户籍、身份证、出入境证件和道路交通安全管理（交警）。",
            &["户籍", "身份证", "出入境", "交警"],
        ),
    ]
}

fn kinds() -> Vec<DepartmentKind> {
    let kind = |kind: &str, names: &[&str], duties: &str, matters: &[&str]| DepartmentKind {
        kind: kind.into(),
        names: names.iter().map(|s| s.to_string()).collect(),
        duties: duties.into(),
        matters: matters.iter().map(|s| s.to_string()).collect(),
    };
    vec![
        kind(
            "供水",
            &["自来水公司", "供水有限公司"],
            "负责城市供水。",
            &["水压低", "水管爆裂", "自来水发黄", "停水"],
        ),
        kind(
            "城管",
            &["城管局", "综合行政执法局"],
            "负责市容。",
            &["摆摊", "路灯不亮", "占道经营", "违建"],
        ),
        kind(
            "交警",
            &["交警支队"],
            "负责道路交通安全管理、驾驶证。",
            &["驾照", "闯红灯", "交通事故", "驾驶证", "交警", "道路交通"],
        ),
        kind(
            "出入境",
            &["出入境管理局"],
            "负责出入境证件。",
            &["护照", "港澳通行证", "出入境", "出入境证件"],
        ),
    ]
}

#[test]
fn builtin_map_parses_and_is_rich() {
    let kinds = builtin_kinds();
    assert!(kinds.len() >= 35, "{} kinds", kinds.len());
    assert!(kinds
        .iter()
        .all(|k| !k.names.is_empty() && k.matters.len() >= 5));
    let total: usize = kinds.iter().map(|k| k.matters.len()).sum();
    assert!(total >= 1500);
}

#[test]
fn parse_kinds_reports_the_bad_line() {
    let err = parse_kinds("\n{\"kind\":1}\n").unwrap_err();
    assert!(err.contains("第 2 行"), "{err}");
}

#[test]
fn merged_bureau_inherits_several_kinds() {
    let router = Router::builder(&directory(), &kinds()).build();
    assert_eq!(router.kinds_of("WATER"), vec!["供水"]);
    assert_eq!(router.kinds_of("CG"), vec!["城管"]);
    let ga = router.kinds_of("GA");
    assert!(ga.contains(&"交警") && ga.contains(&"出入境"), "{ga:?}");
}

#[test]
fn routes_calls_that_name_only_a_matter_of_the_kind() {
    let router = Router::builder(&directory(), &kinds()).build();
    let cases = [
        ("小区楼上水压低得很", "WATER"),
        ("门口天天有人摆摊", "CG"),
        ("驾照被扣分了怎么办", "GA"),
        ("想办护照出国", "GA"),
    ];
    for (text, want) in cases {
        let got = router.suggest(text, None, &[]);
        assert_eq!(got[0].department, want, "{text}: {got:?}");
    }
}

#[test]
fn the_router_names_the_departments_of_its_directory() {
    let router = Router::builder(&directory(), &kinds()).build();
    assert_eq!(router.department_name("WATER"), Some("测试市供水有限公司"));
    assert_eq!(router.department_name("NOPE"), None);
}

#[test]
fn reason_names_the_matched_matters_and_kind() {
    let router = Router::builder(&directory(), &kinds()).build();
    let got = router.suggest("街上的水管爆裂了，一直冒水", Some("求助"), &[]);
    assert_eq!(got[0].department, "WATER");
    assert!(got[0].reason.contains("水管爆裂"), "{}", got[0].reason);
    assert!(got[0].reason.contains("供水"), "{}", got[0].reason);
}

#[test]
fn signals_add_candidates_and_their_reasons() {
    let router = Router::builder(&directory(), &kinds()).build();
    let signals = [Signal {
        department: "CG".into(),
        score: 12.0,
        reason: "知识条目「占道经营如何举报」".into(),
    }];
    let got = router.suggest("嗯嗯", None, &signals);
    assert_eq!(got[0].department, "CG");
    assert!(got[0].reason.contains("占道经营如何举报"));
    let unknown = [Signal {
        department: "NOPE".into(),
        score: 1.0,
        reason: String::new(),
    }];
    assert!(router.suggest("嗯嗯", None, &unknown).is_empty());
}

#[test]
fn history_teaches_what_the_directory_does_not_say() {
    let tickets = [
        ("小区里的流浪猫太多了", "CG"),
        ("流浪猫半夜叫，吵得睡不着", "CG"),
        ("楼下流浪猫到处拉屎", "CG"),
        ("邻居家的狗咬人了", "GA"),
        ("遛狗不牵绳，狗咬了小孩", "GA"),
        ("大狗在小区追着人咬", "GA"),
        ("家里的水很浑浊", "WATER"),
    ];
    let router = Router::builder(&directory(), &kinds())
        .history(tickets.iter().copied())
        .build();
    assert_eq!(router.history_len(), 7);
    let got = router.suggest("流浪猫在楼道里生了一窝", None, &[]);
    assert_eq!(got[0].department, "CG", "{got:?}");
    assert!(got[0].reason.contains("相似历史工单"), "{}", got[0].reason);
    let got = router.suggest("被狗咬了找谁", None, &[]);
    assert_eq!(got[0].department, "GA", "{got:?}");
}

#[test]
fn history_of_unknown_departments_is_ignored_and_results_are_deterministic() {
    let router = Router::builder(&directory(), &kinds())
        .history([("随便说说", "ELSEWHERE")])
        .entry("WATER", "水表坏了怎么换")
        .build();
    assert_eq!(router.history_len(), 0);
    let a = router.suggest("水表坏了", None, &[]);
    let b = router.suggest("水表坏了", None, &[]);
    assert_eq!(a, b);
    assert_eq!(a[0].department, "WATER");
}

#[test]
fn short_name_drops_the_place() {
    assert_eq!(short_name("江州市市场监督管理局"), "市场监督管理局");
    assert_eq!(short_name("国网江州供电公司"), "国网江州供电公司");
    assert!(short_name("云溪县城管局").starts_with("城管"));
}
