//! A province-scale knowledge base recombined from a sample, for benchmarks: district versions
//! of every matter (district in title, answer, keywords and region; questions recombined with
//! siblings of the same category; materials shuffled and thinned; addresses, phones and hours
//! varied), plus distinct benchmark queries and call transcripts. Deterministic for a seed.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use super::entry::{EntryContent, CITY_WIDE};

mod queries;
pub use queries::{bench_queries, load_questions, BenchQuery};

/// The city every sample entry is written for; district versions belong to other cities.
const SAMPLE_CITY: &str = "江州";
/// Share of a province's matters a district publishes its own version of.
const MATTER_SHARE: f64 = 0.9;
/// Districts per invented city.
const DISTRICTS_PER_CITY: usize = 23;
/// Share of district versions whose policy has already expired.
const EXPIRED_SHARE: f64 = 0.03;

/// First characters of invented district names (none of 东西南北高临, so no sample district's
/// short form can appear inside an invented name).
const NAME_FIRST: &[char] = &[
    '青', '石', '白', '云', '金', '龙', '凤', '桃', '柳', '松', '梅', '兰', '竹', '枫', '榆', '槐',
    '杉', '桐', '泉', '溪', '峡', '岚', '霞', '翠', '碧', '丹', '紫', '银', '铜', '玉', '岱', '汾',
    '沂', '泗', '淇', '漳',
];
/// Second characters of invented district names.
const NAME_SECOND: &[char] = &[
    '山', '河', '湖', '江', '峰', '阳', '源', '坪', '塘', '湾', '岭', '浦', '埠', '渡', '桥', '陵',
    '川', '洲', '滩', '岗', '堡', '屯', '溪', '口', '关', '宁', '安', '丰', '泽', '水', '林', '台',
    '亭', '庄', '田', '原',
];
/// Invented city names (each followed by 州).
const CITY_FIRST: &[char] = &[
    '岳', '澄', '沅', '嘉', '汀', '琼', '瑞', '滁', '郴', '衢', '婺', '檀', '芜', '泸', '邕', '潭',
    '鄞', '歙', '黟', '睢', '沣', '濉', '汝', '颍',
];
/// Roads of invented addresses.
const ROADS: &[&str] = &[
    "人民路",
    "解放路",
    "建设路",
    "中山路",
    "文化路",
    "新华路",
    "滨河路",
    "朝阳路",
    "府前街",
    "学府路",
    "迎宾大道",
    "振兴路",
    "和平街",
    "育才路",
    "体育路",
    "光明路",
    "幸福路",
    "长兴路",
];
/// Service halls of invented addresses.
const HALLS: &[&str] = &[
    "政务服务中心1楼",
    "政务服务中心2楼",
    "市民中心B座",
    "便民服务大厅",
    "行政服务中心3楼东侧",
    "综合服务楼一层",
];
/// Office hours of district service points.
const HOURS: &[&str] = &[
    "周一至周五8:30—12:00、14:00—17:30",
    "周一至周五9:00—12:00、13:30—17:00",
    "工作日8:00—12:00、14:30—18:00",
    "周一至周六9:00—17:00（法定节假日除外）",
    "工作日8:30—17:30，中午不休息",
];
/// Evenings with extended service.
const WEEKDAYS: &[&str] = &["周一", "周二", "周三", "周四", "周五"];

/// A deterministic generator (SplitMix64): the same seed gives the same output everywhere.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

/// An invented district (or county) of the province.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct District {
    /// The region value of its entries, such as `青山区` or `石河县`.
    pub name: String,
    /// Without the 区/县/市 suffix, as callers say it.
    pub short: String,
    /// Its city, without 州 (`岳` → 岳州).
    pub city: String,
    /// Suffix of its entries' ids (`D0001`).
    pub code: String,
}

/// `count` invented districts, the same for a seed whatever the count; none shares a name or
/// short form with `taken` (the sample's regions, full or short).
pub fn districts(count: usize, seed: u64, taken: &HashSet<String>) -> Vec<District> {
    let mut rng = Rng::new(seed ^ 0xD15C_0000);
    let mut pairs: Vec<String> = Vec::new();
    for a in NAME_FIRST {
        for b in NAME_SECOND {
            if a != b {
                pairs.push(format!("{a}{b}"));
            }
        }
    }
    rng.shuffle(&mut pairs);
    let mut out = Vec::with_capacity(count);
    let mut used: HashSet<String> = HashSet::new();
    let mut round = 0;
    while out.len() < count {
        for pair in &pairs {
            if out.len() >= count {
                break;
            }
            // After the two-character names run out, a third character makes new ones.
            let short = if round == 0 {
                pair.clone()
            } else {
                let third = NAME_SECOND[(round - 1) % NAME_SECOND.len()];
                format!("{pair}{third}")
            };
            if taken.contains(&short) || !used.insert(short.clone()) {
                continue;
            }
            let suffix = match rng.below(20) {
                0..=11 => '区',
                12..=18 => '县',
                _ => '市',
            };
            let name = format!("{short}{suffix}");
            if taken.contains(&name) {
                continue;
            }
            let n = out.len();
            let city_index = n / DISTRICTS_PER_CITY;
            let mut city = CITY_FIRST[city_index % CITY_FIRST.len()].to_string();
            if city_index >= CITY_FIRST.len() {
                city.push(NAME_SECOND[(city_index / CITY_FIRST.len()) % NAME_SECOND.len()]);
            }
            out.push(District {
                name,
                short,
                city,
                code: format!("D{:04}", n + 1),
            });
        }
        round += 1;
    }
    out
}

/// The generated knowledge base.
#[derive(Clone, Debug, Default)]
pub struct Recombined {
    /// The sample entries unchanged, then the district versions.
    pub entries: Vec<EntryContent>,
    /// The districts that received versions, in order.
    pub districts: Vec<District>,
}

/// Names of the sample's districts (`东湖区`), full and short (`东湖`).
pub fn sample_regions(sample: &[EntryContent]) -> Vec<(String, String)> {
    let mut names: Vec<(String, String)> = Vec::new();
    for entry in sample {
        if entry.region == CITY_WIDE || names.iter().any(|(n, _)| *n == entry.region) {
            continue;
        }
        let short = entry
            .region
            .strip_suffix(['区', '县', '市'])
            .unwrap_or(&entry.region)
            .to_string();
        names.push((entry.region.clone(), short));
    }
    names
}

/// Recombines `sample` into `target` entries: the sample itself, then for one invented district
/// after another a version of about nine in ten of its matters. A matter is a city-wide entry,
/// or the district entries of the sample that differ only in their district (`东湖区社保卡…`,
/// `西山区社保卡…`): each district gets one version of it, from one of them.
pub fn recombine(sample: &[EntryContent], target: usize, seed: u64) -> Recombined {
    if target <= sample.len() || sample.is_empty() {
        return Recombined {
            entries: sample.iter().take(target).cloned().collect(),
            districts: Vec::new(),
        };
    }
    let regions = sample_regions(sample);
    let taken: HashSet<String> = regions
        .iter()
        .flat_map(|(full, short)| [full.clone(), short.clone()])
        .collect();
    // Matters, in sample order.
    let mut matters: Vec<Vec<usize>> = Vec::new();
    let mut by_key: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (i, entry) in sample.iter().enumerate() {
        if entry.region == CITY_WIDE {
            matters.push(vec![i]);
            continue;
        }
        let key = (
            entry.category.clone(),
            entry.title.replace(&entry.region, "{区}"),
        );
        match by_key.get(&key) {
            Some(&m) => matters[m].push(i),
            None => {
                by_key.insert(key, matters.len());
                matters.push(vec![i]);
            }
        }
    }
    // Questions of each category, for recombination.
    let mut category_questions: BTreeMap<&str, Vec<(usize, &str)>> = BTreeMap::new();
    for (i, entry) in sample.iter().enumerate() {
        let list = category_questions.entry(&entry.category).or_default();
        list.extend(entry.questions.iter().map(|q| (i, q.as_str())));
    }

    // Enough districts even when chance gives each one far fewer versions than on average.
    let per_district = (matters.len() as f64 * 0.5).max(0.5);
    let needed = ((target - sample.len()) as f64 / per_district).ceil() as usize + 2;
    let all_districts = districts(needed, seed, &taken);
    let mut rng = Rng::new(seed);
    let mut entries: Vec<EntryContent> = sample.to_vec();
    let mut used = 0;
    'districts: for district in &all_districts {
        used += 1;
        let places = Places::new(district, &regions);
        for matter in &matters {
            if entries.len() >= target {
                break 'districts;
            }
            if !rng.chance(MATTER_SHARE) {
                continue;
            }
            let source = &sample[matter[rng.below(matter.len())]];
            let siblings: Vec<&str> = category_questions
                .get(source.category.as_str())
                .map(|list| {
                    list.iter()
                        .filter(|(owner, _)| !matter.contains(owner))
                        .map(|(_, q)| *q)
                        .collect()
                })
                .unwrap_or_default();
            entries.push(version(source, district, &places, &siblings, &mut rng));
        }
    }
    Recombined {
        entries,
        districts: all_districts.into_iter().take(used).collect(),
    }
}

/// Rewrites sample place names into a district's: the sample city, the sample districts.
struct Places {
    pairs: Vec<(String, String)>,
}

impl Places {
    fn new(district: &District, regions: &[(String, String)]) -> Self {
        let mut pairs = vec![
            (format!("{SAMPLE_CITY}市"), format!("{}州市", district.city)),
            (SAMPLE_CITY.to_string(), format!("{}州", district.city)),
        ];
        for (full, _) in regions {
            pairs.push((full.clone(), district.name.clone()));
        }
        for (_, short) in regions {
            pairs.push((short.clone(), district.short.clone()));
        }
        Places { pairs }
    }

    fn apply(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (from, to) in &self.pairs {
            if out.contains(from.as_str()) {
                out = out.replace(from.as_str(), to);
            }
        }
        out
    }
}

/// One district's version of a sample entry.
fn version(
    source: &EntryContent,
    district: &District,
    places: &Places,
    siblings: &[&str],
    rng: &mut Rng,
) -> EntryContent {
    let d = district.name.as_str();
    let title = if source.region == CITY_WIDE {
        let title = places.apply(&source.title);
        match rng.below(3) {
            0 => format!("{d}{title}"),
            1 => format!("{title}（{d}）"),
            _ => format!("{d}：{title}"),
        }
    } else {
        places.apply(&source.title)
    };

    let mut own: Vec<String> = source.questions.iter().map(|q| places.apply(q)).collect();
    rng.shuffle(&mut own);
    if own.len() > 1 && rng.chance(0.5) {
        own.pop();
    }
    let mut questions: Vec<String> = own;
    if !siblings.is_empty() {
        for _ in 0..rng.below(3) {
            let sibling: &&str = rng.pick(siblings);
            let q = places.apply(sibling);
            if !questions.contains(&q) {
                questions.push(q);
            }
        }
    }
    for q in &mut questions {
        if !q.contains(d) && !q.contains(district.short.as_str()) && rng.chance(0.5) {
            *q = match rng.below(3) {
                0 => format!("{d}{q}"),
                1 => format!("在{d}，{q}"),
                _ => format!("{}这边{q}", district.short),
            };
        }
    }

    let mut answer = vary_details(&places.apply(&source.answer), rng);
    if rng.chance(0.8) {
        let road = rng.pick(ROADS);
        let number = 1 + rng.below(399);
        let hall = rng.pick(HALLS);
        let hours = rng.pick(HOURS);
        let phone = phone(rng);
        let sentence = match rng.below(3) {
            0 => format!("{d}受理点：{d}{road}{number}号{hall}，{hours}，咨询电话{phone}。"),
            1 => {
                format!("{d}居民可就近到{d}{hall}（{road}{number}号）办理，{hours}；电话{phone}。")
            }
            _ => format!(
                "本区窗口设在{road}{number}号{d}{hall}，办理时间{hours}，如有疑问请拨打{phone}。"
            ),
        };
        answer.push_str(&sentence);
    }
    if rng.chance(0.3) {
        let day = rng.pick(WEEKDAYS);
        let hour = 18 + rng.below(3);
        answer.push_str(&format!("{d}窗口每{day}延时服务至{hour}:00。"));
    }

    let mut process: Vec<String> = source.process.iter().map(|p| places.apply(p)).collect();
    if rng.chance(0.3) {
        let at = rng.below(process.len() + 1);
        let window = 1 + rng.below(30);
        process.insert(at, format!("到{d}政务服务中心{window}号窗口取号"));
    }

    let mut materials: Vec<String> = source.materials.iter().map(|m| places.apply(m)).collect();
    rng.shuffle(&mut materials);
    let keep = materials.len().min(1);
    let mut kept: Vec<String> = Vec::with_capacity(materials.len() + 1);
    for m in materials {
        if kept.len() < keep || !rng.chance(0.25) {
            kept.push(m);
        }
    }
    if rng.chance(0.2) {
        kept.push(format!("{d}户籍证明或居住证"));
    }

    let mut keywords: Vec<String> = Vec::with_capacity(source.keywords.len() + 1);
    for k in source.keywords.iter().map(|k| places.apply(k)) {
        if !keywords.contains(&k) {
            keywords.push(k);
        }
    }
    if !keywords.iter().any(|k| k == d) {
        keywords.push(d.to_string());
    }

    let (valid_from, valid_to) = if rng.chance(EXPIRED_SHARE) {
        (
            Some("2023-01-01".to_string()),
            Some("2024-06-30".to_string()),
        )
    } else {
        (source.valid_from.clone(), source.valid_to.clone())
    };

    EntryContent {
        id: format!("{}-{}", source.id, district.code),
        title,
        questions,
        answer,
        process,
        materials: kept,
        department: source.department.clone(),
        category: source.category.clone(),
        region: district.name.clone(),
        keywords,
        valid_from,
        valid_to,
    }
}

/// An eight-digit local phone number.
fn phone(rng: &mut Rng) -> String {
    let mut out = String::with_capacity(8);
    out.push(char::from(b'2' + rng.below(7) as u8));
    for _ in 0..7 {
        out.push(char::from(b'0' + rng.below(10) as u8));
    }
    out
}

/// Varies the district-specific details of an answer: phone numbers (runs of seven or more
/// digits) get new digits, house numbers (digits before 号) new numbers, office hours (H:MM)
/// shift by up to an hour or half an hour. Amounts, years and the 12345 hotline stay.
fn vary_details(text: &str, rng: &mut Rng) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 8);
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        let run: String = chars[start..i].iter().collect();
        let next = chars.get(i).copied();
        let before = start.checked_sub(1).map(|b| chars[b]);
        if run.len() >= 7 {
            out.push(chars[start]);
            for _ in 1..run.len() {
                out.push(char::from(b'0' + rng.below(10) as u8));
            }
        } else if next == Some('号') && run.len() <= 4 {
            out.push_str(&(1 + rng.below(499)).to_string());
        } else if next == Some(':') && run.len() <= 2 {
            let hour: i64 = run.parse().unwrap_or(9);
            let shifted = (hour + rng.below(3) as i64 - 1).clamp(6, 22);
            out.push_str(&shifted.to_string());
        } else if before == Some(':') && run.len() == 2 && rng.chance(0.3) {
            out.push_str(if run == "00" { "30" } else { "00" });
        } else {
            out.push_str(&run);
        }
    }
    out
}

/// The sample id a generated entry was made from (`BDC-001-D0042` → `BDC-001`).
pub fn source_id(id: &str) -> &str {
    match id.rsplit_once("-D") {
        Some((base, code)) if !code.is_empty() && code.bytes().all(|b| b.is_ascii_digit()) => base,
        _ => id,
    }
}

#[cfg(test)]
mod tests;
