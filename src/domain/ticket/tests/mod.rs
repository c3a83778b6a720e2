//! Tests of the ticket values and of which actions are legal for whom and in which status;
//! the flows from dispatch to closure are in `flows.rs`.

use time::macros::{date, datetime};

use super::*;
use crate::domain::access::Role;
use crate::domain::calendar::WorkCalendar;
use crate::domain::deadline::{DeadlinePolicy, DeadlineRule, CST};
use crate::error::{AppResult, Code, ErrorKind};

const MAIN: &str = "GJJZX";
const CO: &str = "RSJ";

fn actor(role: Role, department: Option<&str>) -> Actor {
    Actor {
        role,
        department: department.map(str::to_string),
        name: "t".into(),
    }
}

fn dispatcher() -> Actor {
    actor(Role::Dispatcher, None)
}

fn main_dept() -> Actor {
    actor(Role::Department, Some(MAIN))
}

fn co_dept() -> Actor {
    actor(Role::Department, Some(CO))
}

/// A ticket of `status` dispatched to MAIN with CO, due 2026-03-20.
fn ticket(status: TicketStatus) -> TicketState {
    let mut state = TicketState::new(
        "T1",
        TicketType::Help,
        Urgency::Normal,
        Resolution::Dispatch,
    );
    state.status = status;
    state.department = Some(MAIN.into());
    state.co_departments = vec![CO.into()];
    state.due = Some(datetime!(2026-03-20 23:59:59).assume_offset(CST));
    state
}

fn run(state: &TicketState, who: &Actor, action: Action) -> AppResult<Decision> {
    decide(state, who, &action, &DeadlinePolicy::default())
}

fn code(result: AppResult<Decision>) -> &'static str {
    result.err().map(|e| e.code.as_str()).unwrap_or("ok")
}

fn dispatch(department: &str, co: &[&str]) -> Action {
    Action::Dispatch {
        department: department.into(),
        co_departments: co.iter().map(|c| c.to_string()).collect(),
        note: None,
    }
}

fn text(s: &str) -> String {
    s.to_string()
}

/// Every action with an actor allowed to take it on the fixture ticket.
fn every_action() -> Vec<(Action, Actor)> {
    let until = date!(2026 - 03 - 27);
    let sup = actor(Role::Supervisor, None);
    vec![
        (dispatch("ZJJ", &[]), dispatcher()),
        (Action::Accept, main_dept()),
        (
            Action::Reply {
                text: text("已答复"),
            },
            main_dept(),
        ),
        (
            Action::Reply {
                text: text("协办意见"),
            },
            co_dept(),
        ),
        (
            Action::Return {
                reason: text("非本单位职责"),
            },
            main_dept(),
        ),
        (
            Action::RejectReturn {
                ruling: text("属于职责"),
            },
            dispatcher(),
        ),
        (
            Action::RequestExtension {
                reason: text("需现场核查"),
                until,
            },
            main_dept(),
        ),
        (Action::ApproveExtension, dispatcher()),
        (Action::DenyExtension { reason: None }, dispatcher()),
        (
            Action::Callback {
                rating: 4,
                comment: None,
            },
            dispatcher(),
        ),
        (Action::Merge { into: text("T0") }, dispatcher()),
        (
            Action::Supervise {
                note: text("请加快办理"),
            },
            sup.clone(),
        ),
        (
            Action::Rectify {
                step: RectificationStep::Contacted,
                note: text("已电话联系"),
            },
            main_dept(),
        ),
        (
            Action::MarkComplex {
                reason: text("涉及多部门"),
            },
            sup,
        ),
    ]
}

#[test]
fn each_action_is_legal_exactly_in_its_statuses() {
    use TicketStatus::*;
    let expected: [&[TicketStatus]; 14] = [
        &[New, Returned],
        &[Dispatched],
        &[Accepted],
        &[Dispatched, Accepted],
        &[Dispatched, Accepted],
        &[Returned],
        &[Dispatched, Accepted],
        &[Dispatched, Accepted],
        &[Dispatched, Accepted],
        &[Replied],
        &[New, Dispatched, Accepted, Returned],
        &[New, Dispatched, Accepted, Replied, Returned],
        TicketStatus::ALL,
        TicketStatus::ALL,
    ];
    for ((action, who), allowed) in every_action().into_iter().zip(expected) {
        for &status in TicketStatus::ALL {
            let mut state = ticket(status);
            if matches!(
                action,
                Action::ApproveExtension | Action::DenyExtension { .. }
            ) {
                state.pending_extension = Some((text("r"), date!(2026 - 03 - 27)));
            }
            state.rectification = Some(Rectification {
                department: MAIN.into(),
                complex: false,
                done: Vec::new(),
            });
            let result = run(&state, &who, action.clone());
            if allowed.contains(&status) {
                assert!(
                    result.is_ok(),
                    "{} from {status}: {:?}",
                    action.path(),
                    result.err()
                );
            } else {
                let err = result.unwrap_err();
                assert_eq!(
                    err.code,
                    Code::TicketStateConflict,
                    "{} from {status}",
                    action.path()
                );
                assert_eq!(err.kind(), ErrorKind::Conflict);
                let named = format!(
                    "工单当前状态为 {}（{}），不能{}",
                    status,
                    status.label(),
                    action.verb()
                );
                assert_eq!(err.message, named);
            }
        }
    }
}

#[test]
fn only_the_right_roles_may_act() {
    for (action, allowed) in every_action() {
        for role in Role::ALL {
            if role == allowed.role
                || (role == Role::Dispatcher
                    && matches!(
                        action,
                        Action::MarkComplex { .. } | Action::Supervise { .. }
                    ))
            {
                continue;
            }
            let who = actor(role, (role == Role::Department).then_some(MAIN));
            let err = run(&ticket(TicketStatus::Accepted), &who, action.clone()).unwrap_err();
            assert_eq!(
                (err.code.as_str(), err.kind()),
                ("forbidden", ErrorKind::Forbidden),
                "{role:?} {}",
                action.path()
            );
        }
    }
    let admin = actor(Role::Admin, None);
    assert_eq!(
        code(run(&ticket(TicketStatus::New), &admin, dispatch(MAIN, &[]))),
        "forbidden"
    );
}

#[test]
fn departments_act_only_on_tickets_dispatched_to_them() {
    let other = actor(Role::Department, Some("ZJJ"));
    let unbound = actor(Role::Department, None);
    let state = ticket(TicketStatus::Dispatched);
    for who in [&other, &unbound] {
        let err = run(&state, who, Action::Accept).unwrap_err();
        assert_eq!(err.code, Code::Forbidden);
    }
    assert!(run(&state, &other, Action::Accept)
        .unwrap_err()
        .message
        .contains("未派给部门 ZJJ"));
    let mut undispatched = ticket(TicketStatus::New);
    undispatched.department = None;
    undispatched.co_departments.clear();
    let err = run(&undispatched, &main_dept(), Action::Accept).unwrap_err();
    assert_eq!(err.code, Code::Forbidden);
}

#[test]
fn co_departments_add_reply_notes_and_nothing_else() {
    let state = ticket(TicketStatus::Accepted);
    let note = run(
        &state,
        &co_dept(),
        Action::Reply {
            text: text("已配合核查"),
        },
    )
    .unwrap();
    assert_eq!(note.event, EventKind::CoReplied);
    assert_eq!(note.next, state);
    for action in [
        Action::Accept,
        Action::Return { reason: text("x") },
        Action::RequestExtension {
            reason: text("x"),
            until: date!(2026 - 04 - 30),
        },
    ] {
        let err = run(&ticket(TicketStatus::Dispatched), &co_dept(), action).unwrap_err();
        assert_eq!(err.code, Code::Forbidden);
        assert!(err.message.contains("协办单位"), "{}", err.message);
    }
    let replied = ticket(TicketStatus::Replied);
    assert_eq!(
        code(run(&replied, &co_dept(), Action::Reply { text: text("x") })),
        "ticket_state_conflict"
    );
}

#[test]
fn values_use_the_api_strings() {
    let json = serde_json::to_string(&(
        TicketType::Complaint,
        Urgency::Critical,
        Channel::App,
        TicketStatus::Returned,
    ))
    .unwrap();
    assert_eq!(json, r#"["投诉","特急","APP","returned"]"#);
    assert_eq!(
        serde_json::from_str::<Channel>("\"微信\"").unwrap(),
        Channel::WeChat
    );
    assert_eq!(Resolution::parse("answered").unwrap(), Resolution::Answered);
    let err = Urgency::parse("很急").unwrap_err();
    assert_eq!(err.code, Code::InvalidUrgency);
    assert!(err.message.contains("一般、紧急、特急"), "{}", err.message);
    for &t in TicketType::ALL {
        assert_eq!(TicketType::parse(t.as_str()).unwrap(), t);
    }
    assert_eq!(EventKind::ReturnRejected.as_str(), "return_rejected");
    assert_eq!(
        RectificationStep::parse("contacted").unwrap(),
        RectificationStep::Contacted
    );
}

#[test]
fn ratings_carry_their_labels() {
    let labels: Vec<&str> = (1..=5).map(|v| Rating::new(v).unwrap().label()).collect();
    assert_eq!(
        labels,
        ["非常不满意", "不满意", "基本满意", "满意", "非常满意"]
    );
    assert!(Rating::new(2).unwrap().is_poor() && !Rating::new(3).unwrap().is_poor());
    assert_eq!(Rating::new(0).unwrap_err().code, Code::InvalidRating);
    assert_eq!(serde_json::from_str::<Rating>("5").unwrap().value(), 5);
    assert!(serde_json::from_str::<Rating>("6").is_err());
}

mod flows;
