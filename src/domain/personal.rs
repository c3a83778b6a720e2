//! Callers' personal data inside free text (queries, speech-recognition transcripts): finding
//! mobile numbers, landlines with area code, resident ID numbers and names a caller introduces
//! ("我叫张三"), and masking them in the `138****1234` / `张*` style of [`mask_phone`] and
//! [`mask_name`]. Ordinary numbers (amounts, dates, counts) are left alone.

use super::access::{mask_name, mask_phone, Role};

/// What kind of personal data a piece of text is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PersonalKind {
    /// An 11-digit mainland mobile number (1[3-9]…), optionally after `86`.
    Mobile,
    /// A fixed-line number with its area code (`0571-88881234`, `010 12345678`).
    Landline,
    /// An 18-character resident identity card number (the last may be `X`).
    IdNumber,
    /// A name introduced by a phrase such as 我叫、我姓、本人、姓名.
    Name,
}

/// One piece of personal data: its byte range in the text and what it is masked to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonalData {
    pub kind: PersonalKind,
    pub start: usize,
    pub end: usize,
    pub masked: String,
}

/// Every piece of personal data in `text` whose masked form differs from it, in text order and
/// without overlaps.
pub fn find_personal_data(text: &str) -> Vec<PersonalData> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let byte_at = |i: usize| chars.get(i).map_or(text.len(), |&(b, _)| b);
    let mut spans: Vec<(usize, usize, PersonalKind, String)> = numbers(&chars);
    for name in names(&chars) {
        if !spans.iter().any(|s| name.0 < s.1 && s.0 < name.1) {
            spans.push(name);
        }
    }
    spans.sort_by_key(|s| s.0);
    spans
        .into_iter()
        .map(|(start, end, kind, masked)| PersonalData {
            kind,
            start: byte_at(start),
            end: byte_at(end),
            masked,
        })
        .filter(|found| text[found.start..found.end] != found.masked)
        .collect()
}

/// `text` with every piece of personal data masked.
pub fn mask_personal_data(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for found in find_personal_data(text) {
        out.push_str(&text[at..found.start]);
        out.push_str(&found.masked);
        at = found.end;
    }
    out.push_str(&text[at..]);
    out
}

/// Whether masking would change `text`.
pub fn contains_personal_data(text: &str) -> bool {
    !find_personal_data(text).is_empty()
}

/// A free text as a role may read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextView {
    pub text: String,
    /// True when personal data was masked out of the text.
    pub masked: bool,
    /// True when the reader sees personal data unmasked, which must be audited.
    pub reveals_personal_data: bool,
}

/// Masks `text` for roles that may not see personal data; for the others it stays whole and
/// the view says whether the read reveals any.
pub fn view_for(role: Role, text: &str) -> TextView {
    let found = contains_personal_data(text);
    if role.sees_personal_data() {
        TextView {
            text: text.to_string(),
            masked: false,
            reveals_personal_data: found,
        }
    } else {
        TextView {
            text: if found {
                mask_personal_data(text)
            } else {
                text.to_string()
            },
            masked: found,
            reveals_personal_data: false,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Numbers

/// A digit, as written or spoken: ASCII, full-width, or a Chinese numeral as speech
/// recognition writes phone numbers out (幺三八…).
fn digit(c: char) -> Option<char> {
    match c {
        '0'..='9' => Some(c),
        '０'..='９' => char::from_digit(c as u32 - '０' as u32, 10),
        '〇' | '零' => Some('0'),
        '一' | '幺' => Some('1'),
        '二' => Some('2'),
        '三' => Some('3'),
        '四' => Some('4'),
        '五' => Some('5'),
        '六' => Some('6'),
        '七' => Some('7'),
        '八' => Some('8'),
        '九' => Some('9'),
        _ => None,
    }
}

/// What may stand between the digit groups of one number: `138 1234 1234`, `0571-88881234`,
/// `(0571)88881234`.
fn separator(c: char) -> bool {
    matches!(
        c,
        ' ' | '\u{3000}' | '-' | '－' | '—' | '–' | ')' | '）' | '(' | '（'
    )
}

/// A run of digits.
struct Group {
    start: usize,
    end: usize,
    digits: String,
    /// Followed directly by `X`, the check character of an ID number.
    x: bool,
}

/// Numbers in `chars` (character indices), with their masks.
fn numbers(chars: &[(usize, char)]) -> Vec<(usize, usize, PersonalKind, String)> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if digit(chars[i].1).is_none() {
            i += 1;
            continue;
        }
        // One number: digit groups joined by at most two separators.
        let mut groups: Vec<Group> = Vec::new();
        loop {
            let start = i;
            let mut digits = String::new();
            while let Some(d) = chars.get(i).and_then(|&(_, c)| digit(c)) {
                digits.push(d);
                i += 1;
            }
            let x = chars
                .get(i)
                .is_some_and(|&(_, c)| matches!(c, 'X' | 'x' | 'Ｘ' | 'ｘ'));
            groups.push(Group {
                start,
                end: i,
                digits,
                x,
            });
            if x {
                break;
            }
            let mut gap = i;
            while gap < chars.len() && gap - i < 2 && separator(chars[gap].1) {
                gap += 1;
            }
            if gap > i && chars.get(gap).is_some_and(|&(_, c)| digit(c).is_some()) {
                i = gap;
            } else {
                break;
            }
        }
        found.extend(numbers_in(&groups));
    }
    found
}

/// The personal numbers among consecutive groups, longest first from the left.
fn numbers_in(groups: &[Group]) -> Vec<(usize, usize, PersonalKind, String)> {
    let mut found = Vec::new();
    let mut first = 0;
    while first < groups.len() {
        let matched = (first..groups.len()).rev().find_map(|last| {
            let digits: String = groups[first..=last]
                .iter()
                .map(|g| g.digits.as_str())
                .collect();
            let with_x = groups[last].x.then(|| format!("{digits}X"));
            let (kind, masked, x) = match with_x.as_deref().and_then(classify) {
                Some((kind, masked)) => (kind, masked, true),
                None => {
                    let (kind, masked) = classify(&digits)?;
                    (kind, masked, false)
                }
            };
            let end = groups[last].end + usize::from(x);
            Some((last, (groups[first].start, end, kind, masked)))
        });
        match matched {
            Some((last, span)) => {
                found.push(span);
                first = last + 1;
            }
            None => first += 1,
        }
    }
    found
}

/// Which personal number `digits` (ASCII digits, maybe ending in `X`) is, with its mask.
fn classify(digits: &str) -> Option<(PersonalKind, String)> {
    let bytes = digits.as_bytes();
    let all_digits = |b: &[u8]| b.iter().all(u8::is_ascii_digit);
    let mobile = |b: &[u8]| b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]);
    if bytes.last() == Some(&b'X') || bytes.len() == 18 {
        return is_id_number(bytes).then(|| (PersonalKind::IdNumber, mask_phone(digits)));
    }
    if !all_digits(bytes) {
        return None;
    }
    if mobile(bytes) {
        return Some((PersonalKind::Mobile, mask_phone(digits)));
    }
    if bytes.len() == 13 && bytes.starts_with(b"86") && mobile(&bytes[2..]) {
        return Some((
            PersonalKind::Mobile,
            format!("86{}", mask_phone(&digits[2..])),
        ));
    }
    if (10..=12).contains(&bytes.len()) && bytes[0] == b'0' && bytes[1] != b'0' {
        return Some((PersonalKind::Landline, mask_phone(digits)));
    }
    None
}

/// 17 digits and a check digit or `X`, with a plausible birth date in places 7–14. The check
/// digit itself is not verified: transcripts garble digits, and a garbled ID is still one.
fn is_id_number(b: &[u8]) -> bool {
    if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) {
        return false;
    }
    if !(b[17].is_ascii_digit() || b[17] == b'X') || b[0] == b'0' {
        return false;
    }
    let number = |range: std::ops::Range<usize>| {
        b[range]
            .iter()
            .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'))
    };
    let (year, month, day) = (number(6..10), number(10..12), number(12..14));
    (1900..=2099).contains(&year) && (1..=12).contains(&month) && (1..=31).contains(&day)
}

// ---------------------------------------------------------------------------------------------
// Names

/// Phrases after which a caller says their name, and whether the name may be a bare surname
/// (我姓张).
const NAME_INTRODUCTIONS: [(&str, bool); 10] = [
    ("名字叫", false),
    ("名字是", false),
    ("本人叫", false),
    ("本人姓", true),
    ("姓名是", false),
    ("姓名", false),
    ("我叫", false),
    ("我姓", true),
    ("名叫", false),
    ("本人", false),
];

/// Two-character surnames.
const COMPOUND_SURNAMES: [&str; 14] = [
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
    "令狐", "夏侯",
];

/// Common single-character surnames. Characters that mostly start ordinary words after 本人
/// (和、于、申、都、来…) are left out, so that 本人和… or 本人来… are not taken for names.
const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘\
蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝\
龚邵钱严覃武戴莫孔汤温康施牛樊葛邢齐易乔伍庞颜倪庄聂章鲁岳翟殷詹欧耿兰焦俞左柳甘祝宁\
符舒阮柯纪梅童凌毕季裴霍涂苗谷盛曲翁冉骆蓝游辛靳柴蒙鲍华喻祁蒲滕屈饶牟艾穆卓古吉\
缪芦麦褚娄窦戚岑景宫卜冷晏席米柏宗瞿桂佟臧闵苟邬卞姬仇栾隋刁沙荣巫寇桑郎甄丛\
仲虞敖巩佘池麻苑迟邝封谈匡鞠惠荆冀郁胥栗燕楚鄢谌奚皮粟冼蔺楼盘闻厉伊仝郜阚帅屠豆朴练廉禹\
井祖漆巴卿狄索宣晋扈晁芮阙浦戈伏鹿薄邸雍辜羊乌裘亓邰赫杭况鲜逯隆茹诸战慕亢嵇湛宾戎勾茅\
呼揭尉冶檀衣展昝幸奉植衡富尧";

/// Characters that end a name: words that follow a name in speech (电话、手机、今年、住在、想问…)
/// start with them, and they rarely stand in given names.
const NAME_STOPS: &str =
    "的了是在我你他她它们想要问说电手号家住今现这那就也和跟给把被从到去来呢吗啊吧呀哦嗯啦\
找请麻烦打身户有没不年岁男女先生士姐经便州市区县额时考复序职末上地款面工";

fn is_han(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// Names introduced by a phrase, with their masks.
fn names(chars: &[(usize, char)]) -> Vec<(usize, usize, PersonalKind, String)> {
    let text: Vec<char> = chars.iter().map(|&(_, c)| c).collect();
    let starts_with = |at: usize, word: &str| {
        (at..)
            .zip(word.chars())
            .all(|(i, w)| text.get(i) == Some(&w))
    };
    let mut found = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let Some(&(phrase, surname_only)) = NAME_INTRODUCTIONS
            .iter()
            .find(|(phrase, _)| starts_with(i, phrase))
        else {
            i += 1;
            continue;
        };
        let mut at = i + phrase.chars().count();
        while text.get(at).is_some_and(|&c| matches!(c, ':' | '：' | ' ')) {
            at += 1;
        }
        match name_at(&text, at) {
            Some((end, given)) if given > 0 || surname_only => {
                let mut span = (at, end);
                // 我姓张，叫张三: the full name follows.
                let mut next = end;
                while text
                    .get(next)
                    .is_some_and(|&c| matches!(c, '，' | ',' | ' '))
                {
                    next += 1;
                }
                let called = ["叫", "名叫", "名字叫"]
                    .into_iter()
                    .find(|w| starts_with(next, w))
                    .map(|w| next + w.chars().count());
                if let Some((full_end, full_given)) = called.and_then(|c| name_at(&text, c)) {
                    if full_given > 0 {
                        if given > 0 {
                            found.push(name_span(&text, span));
                        }
                        span = (called.unwrap_or(next), full_end);
                    }
                }
                found.push(name_span(&text, span));
                i = span.1;
            }
            _ => i = at.max(i + 1),
        }
    }
    found
}

/// A surname at `at` and up to two given-name characters: (end, given-name length).
fn name_at(text: &[char], at: usize) -> Option<(usize, usize)> {
    let compound = COMPOUND_SURNAMES.iter().any(|s| {
        let mut s = s.chars();
        s.next() == text.get(at).copied() && s.next() == text.get(at + 1).copied()
    });
    let surname_end = if compound {
        at + 2
    } else if text.get(at).is_some_and(|&c| SURNAMES.contains(c)) {
        at + 1
    } else {
        return None;
    };
    let mut end = surname_end;
    while end - surname_end < 2
        && text
            .get(end)
            .is_some_and(|&c| is_han(c) && !NAME_STOPS.contains(c))
    {
        end += 1;
    }
    Some((end, end - surname_end))
}

fn name_span(text: &[char], (start, end): (usize, usize)) -> (usize, usize, PersonalKind, String) {
    let name: String = text[start..end].iter().collect();
    (start, end, PersonalKind::Name, mask_name(&name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(text: &str) -> String {
        mask_personal_data(text)
    }

    #[test]
    fn mobile_numbers_are_masked_however_they_are_written() {
        assert_eq!(masked("电话13812341234"), "电话138****1234");
        assert_eq!(masked("电话 138 1234 1234 谢谢"), "电话 138****1234 谢谢");
        assert_eq!(masked("手机是138-1234-1234。"), "手机是138****1234。");
        assert_eq!(masked("+86 13812341234"), "+86138****1234");
        assert_eq!(masked("１３８１２３４１２３４"), "138****1234");
        assert_eq!(masked("号码幺三八一二三四一二三四"), "号码138****1234");
        assert_eq!(
            masked("13812341234和15998765432"),
            "138****1234和159****5432"
        );
    }

    #[test]
    fn landlines_with_an_area_code_are_masked() {
        assert_eq!(masked("座机0571-88881234"), "座机057****1234");
        assert_eq!(masked("打(010)12345678找我"), "打(010****5678找我");
        assert_eq!(masked("010 12345678"), "010****5678");
        assert_eq!(masked("0571-88881234转123"), "057****1234转123");
    }

    #[test]
    fn id_numbers_are_masked() {
        assert_eq!(
            masked("身份证号110105199001011234，"),
            "身份证号110****1234，"
        );
        assert_eq!(masked("身份证11010519900101123X"), "身份证110****123X");
        assert_eq!(masked("身份证11010519900101123x号"), "身份证110****123X号");
        assert_eq!(
            masked("110105 19900101 1234"),
            "110****1234",
            "spoken in groups"
        );
    }

    #[test]
    fn a_number_next_to_a_phone_number_is_not_swallowed() {
        assert_eq!(masked("电话13812341234 3000元"), "电话138****1234 3000元");
        assert_eq!(masked("2019 13812341234"), "2019 138****1234");
    }

    #[test]
    fn ordinary_numbers_stay() {
        for text in [
            "公积金能取三万多吗",
            "租房提取每年1.8万元，3000元一个月",
            "2024-01-01到2026-12-31有效",
            "20240101开始",
            "我交了12年社保",
            "12345热线",
            "工单号123456789012",
            "23812341234",
            "12812341234",
            "00571888812",
            "一二三四五六七",
            "幺三八一二三四",
            "第一次来，一二三月份都交了",
            "123456789012345678",
        ] {
            assert_eq!(masked(text), text, "{text}");
            assert!(!contains_personal_data(text), "{text}");
        }
    }

    #[test]
    fn introduced_names_are_masked() {
        assert_eq!(
            masked("我叫张三，电话13812341234"),
            "我叫张*，电话138****1234"
        );
        assert_eq!(masked("我叫张三丰电话是多少"), "我叫张**电话是多少");
        assert_eq!(masked("我叫李明想问一下公积金"), "我叫李*想问一下公积金");
        assert_eq!(masked("本人王小红，身份证丢了"), "本人王**，身份证丢了");
        assert_eq!(masked("姓名：欧阳娜娜"), "姓名：欧***");
        assert_eq!(masked("我姓张，叫张伟"), "我姓张，叫张*");
        assert_eq!(masked("我的名字叫刘洋"), "我的名字叫刘*");
        assert_eq!(masked("你好我叫陈静13812341234"), "你好我叫陈*138****1234");
    }

    #[test]
    fn phrases_that_introduce_no_name_stay() {
        for text in [
            "需要带本人身份证吗",
            "本人想问一下公积金怎么取",
            "本人户口在东湖区",
            "本人和老婆都交了社保",
            "我叫了好几次车",
            "我姓张",
            "姓名写错了怎么改",
            "我叫他来办",
            "本人来办需要什么",
        ] {
            assert_eq!(masked(text), text, "{text}");
        }
    }

    #[test]
    fn only_roles_that_see_personal_data_read_it_whole_and_are_audited() {
        let text = "我叫张三，电话13812341234";
        let agent = view_for(Role::Agent, text);
        assert_eq!(agent.text, "我叫张*，电话138****1234");
        assert!(agent.masked && !agent.reveals_personal_data);
        let supervisor = view_for(Role::Supervisor, text);
        assert_eq!(supervisor.text, text);
        assert!(!supervisor.masked && supervisor.reveals_personal_data);
        let plain = view_for(Role::Admin, "公积金 租房");
        assert!(!plain.masked && !plain.reveals_personal_data);
        assert!(!view_for(Role::Editor, "公积金 租房").masked);
    }

    proptest::proptest! {
        #[test]
        fn a_mobile_number_in_any_sentence_is_masked(
            prefix in "[a-zA-Z公积金社保卡租房电话号码，。？、]{0,20}",
            second in 3u8..=9,
            rest in "[0-9]{9}",
            suffix in "[a-zA-Z公积金社保卡租房电话号码，。？、]{0,20}",
        ) {
            let phone = format!("1{second}{rest}");
            let text = format!("{prefix}{phone}{suffix}");
            let masked = mask_personal_data(&text);
            proptest::prop_assert!(!masked.contains(&phone), "{text} -> {masked}");
            proptest::prop_assert!(masked.starts_with(&prefix) && masked.ends_with(&suffix));
        }

        #[test]
        fn any_text_masks_without_panicking(text in "\\PC{0,80}") {
            let masked = mask_personal_data(&text);
            proptest::prop_assert_eq!(contains_personal_data(&text), masked != text);
        }
    }

    #[test]
    fn masking_never_panics_on_odd_text() {
        for text in [
            "",
            "我叫",
            "本人",
            "1",
            "1-",
            "-1",
            "X",
            "我姓",
            "\u{0}我叫张",
            "1 3 8",
        ] {
            let _ = mask_personal_data(text);
        }
    }
}
