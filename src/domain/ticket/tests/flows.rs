//! Tests of the ticket flows: dispatch, returns, extensions, redo after a poor rating, merge,
//! supervision and rectification.

use super::*;

#[test]
fn the_main_flow_from_dispatch_to_closure() {
    let policy = DeadlinePolicy::default();
    let mut state = TicketState::new(
        "T9",
        TicketType::Complaint,
        Urgency::Normal,
        Resolution::Dispatch,
    );
    assert_eq!(state.status, TicketStatus::New);
    let steps = [
        (dispatcher(), dispatch(MAIN, &[CO, CO, " "])),
        (dispatcher(), dispatch(MAIN, &[CO, CO])),
        (main_dept(), Action::Accept),
        (
            main_dept(),
            Action::Reply {
                text: text(" 已处理 "),
            },
        ),
        (
            dispatcher(),
            Action::Callback {
                rating: 4,
                comment: None,
            },
        ),
    ];
    assert_eq!(
        code(decide(&state, &steps[0].0, &steps[0].1, &policy)),
        "invalid_request"
    );
    let mut events = Vec::new();
    for (who, action) in &steps[1..] {
        let decision = decide(&state, who, action, &policy).unwrap();
        events.push((decision.event, decision.deadline));
        state = decision.next;
    }
    assert_eq!(state.status, TicketStatus::Closed);
    assert_eq!(state.co_departments, vec![CO.to_string()]);
    let restart = DeadlineEffect::Restart {
        reply: DeadlineRule::WorkingDays(15),
        accept: DeadlineRule::WorkingDays(1),
    };
    assert_eq!(
        events,
        vec![
            (EventKind::Dispatched, restart),
            (EventKind::Accepted, DeadlineEffect::Keep),
            (EventKind::Replied, DeadlineEffect::Keep),
            (EventKind::Closed, DeadlineEffect::Clear),
        ]
    );
    let answered = TicketState::new(
        "T8",
        TicketType::Consultation,
        Urgency::Normal,
        Resolution::Answered,
    );
    assert_eq!(answered.status, TicketStatus::Closed);
}

#[test]
fn dispatch_checks_its_departments() {
    let new = ticket(TicketStatus::New);
    assert_eq!(
        code(run(&new, &dispatcher(), dispatch(" ", &[]))),
        "invalid_request"
    );
    assert_eq!(
        code(run(&new, &dispatcher(), dispatch(MAIN, &[MAIN]))),
        "invalid_request"
    );
}

#[test]
fn a_return_is_ruled_on_by_the_dispatcher() {
    let accepted = ticket(TicketStatus::Accepted);
    let empty = Action::Return { reason: text("  ") };
    assert_eq!(code(run(&accepted, &main_dept(), empty)), "invalid_request");
    let returned = run(
        &accepted,
        &main_dept(),
        Action::Return {
            reason: text("不属本单位"),
        },
    )
    .unwrap();
    assert_eq!(
        (returned.next.status, returned.event),
        (TicketStatus::Returned, EventKind::Returned)
    );
    let state = returned.next;
    let rejected = run(
        &state,
        &dispatcher(),
        Action::RejectReturn {
            ruling: text("属于职责"),
        },
    )
    .unwrap();
    assert_eq!(rejected.next.status, TicketStatus::Dispatched);
    assert_eq!(rejected.next.department.as_deref(), Some(MAIN));
    assert_eq!(
        (rejected.event, rejected.deadline),
        (EventKind::ReturnRejected, DeadlineEffect::Keep)
    );
    // 改派: another department, and the deadline starts again.
    let redispatched = run(&state, &dispatcher(), dispatch("ZJJ", &[])).unwrap();
    assert_eq!(redispatched.next.department.as_deref(), Some("ZJJ"));
    assert!(redispatched.next.co_departments.is_empty());
    assert!(matches!(
        redispatched.deadline,
        DeadlineEffect::Restart { .. }
    ));
}

#[test]
fn extensions_need_a_later_date_and_one_ruling() {
    let state = ticket(TicketStatus::Accepted);
    let ask = |until| Action::RequestExtension {
        reason: text("需现场核查"),
        until,
    };
    let err = run(&state, &main_dept(), ask(date!(2026 - 03 - 20))).unwrap_err();
    assert_eq!(
        (err.code.as_str(), err.kind()),
        ("invalid_extension", ErrorKind::BadRequest)
    );
    let empty = Action::RequestExtension {
        reason: text(""),
        until: date!(2026 - 03 - 27),
    };
    assert_eq!(code(run(&state, &main_dept(), empty)), "invalid_request");
    assert_eq!(
        code(run(&state, &dispatcher(), Action::ApproveExtension)),
        "extension_conflict"
    );
    let asked = run(&state, &main_dept(), ask(date!(2026 - 03 - 27))).unwrap();
    assert_eq!(asked.event, EventKind::ExtensionRequested);
    assert_eq!(asked.next.status, TicketStatus::Accepted);
    let pending = asked.next;
    assert_eq!(
        code(run(&pending, &main_dept(), ask(date!(2026 - 03 - 30)))),
        "extension_conflict"
    );
    let approved = run(&pending, &dispatcher(), Action::ApproveExtension).unwrap();
    assert_eq!(
        approved.deadline,
        DeadlineEffect::MoveTo(date!(2026 - 03 - 27))
    );
    assert_eq!(approved.next.pending_extension, None);
    let denied = run(
        &pending,
        &dispatcher(),
        Action::DenyExtension { reason: None },
    )
    .unwrap();
    assert_eq!(
        (denied.event, denied.deadline),
        (EventKind::ExtensionDenied, DeadlineEffect::Keep)
    );
    assert_eq!(denied.next.pending_extension, None);
    let cal = WorkCalendar::builtin();
    let now = datetime!(2026-03-16 10:00 UTC);
    let moved = approved.deadline.apply(state.due, now, &cal);
    assert_eq!(
        moved,
        Some(datetime!(2026-03-27 23:59:59).assume_offset(CST))
    );
    assert_eq!(DeadlineEffect::Clear.apply(state.due, now, &cal), None);
}

#[test]
fn a_poor_rating_is_redone_then_goes_back_to_the_dispatchers() {
    let replied = ticket(TicketStatus::Replied);
    let poor = Action::Callback {
        rating: 2,
        comment: Some(text("没解决")),
    };
    let redo = run(&replied, &dispatcher(), poor.clone()).unwrap();
    assert_eq!(
        (redo.event, redo.next.status, redo.next.round),
        (EventKind::Redo, TicketStatus::Dispatched, 2)
    );
    assert_eq!(redo.next.department.as_deref(), Some(MAIN));
    assert!(matches!(redo.deadline, DeadlineEffect::Restart { .. }));
    assert!(redo.opens_rectification);
    let track = redo.next.rectification.clone().unwrap();
    assert_eq!((track.department.as_str(), track.done.len()), (MAIN, 0));

    let mut second = redo.next;
    second.status = TicketStatus::Replied;
    let escalated = run(&second, &dispatcher(), poor.clone()).unwrap();
    assert_eq!(escalated.event, EventKind::RedoEscalated);
    assert_eq!(
        (escalated.next.status, escalated.next.round),
        (TicketStatus::New, 3)
    );
    assert_eq!(escalated.next.department, None);
    assert!(escalated.next.co_departments.is_empty());
    assert_eq!(escalated.deadline, DeadlineEffect::Clear);
    assert!(escalated.opens_rectification);

    let lenient = DeadlinePolicy::parse(r#"{"redo_max_rounds": 3}"#).unwrap();
    let again = decide(&second, &dispatcher(), &poor, &lenient).unwrap();
    assert_eq!((again.event, again.next.round), (EventKind::Redo, 3));
    for rating in [0, 6] {
        let bad = Action::Callback {
            rating,
            comment: None,
        };
        assert_eq!(code(run(&replied, &dispatcher(), bad)), "invalid_rating");
    }
}

#[test]
fn merge_and_supervise() {
    let state = ticket(TicketStatus::Dispatched);
    let into_self = Action::Merge { into: text("T1") };
    assert_eq!(
        code(run(&state, &dispatcher(), into_self)),
        "invalid_request"
    );
    let merged = run(&state, &dispatcher(), Action::Merge { into: text("T0") }).unwrap();
    assert_eq!(merged.next.status, TicketStatus::Merged);
    assert_eq!(merged.next.merged_into.as_deref(), Some("T0"));
    assert_eq!(merged.deadline, DeadlineEffect::Clear);
    let supervised = run(
        &state,
        &dispatcher(),
        Action::Supervise {
            note: text("请尽快"),
        },
    )
    .unwrap();
    assert_eq!(
        (supervised.event, supervised.next),
        (EventKind::Supervised, state.clone())
    );
    let blank = Action::Supervise { note: text("") };
    assert_eq!(
        code(run(&state, &actor(Role::Supervisor, None), blank)),
        "invalid_request"
    );
}

#[test]
fn rectification_steps_are_recorded_once_and_in_order() {
    let mut state = ticket(TicketStatus::Closed);
    let step = |step| Action::Rectify {
        step,
        note: text("已办"),
    };
    assert_eq!(
        code(run(
            &state,
            &main_dept(),
            step(RectificationStep::Contacted)
        )),
        "forbidden"
    );
    state.rectification = Some(Rectification {
        department: MAIN.into(),
        complex: false,
        done: vec![],
    });
    assert_eq!(
        code(run(&state, &co_dept(), step(RectificationStep::Contacted))),
        "forbidden"
    );
    let early = run(&state, &main_dept(), step(RectificationStep::Rectified));
    assert_eq!(code(early), "rectification_conflict");
    let mut events = Vec::new();
    for s in [
        RectificationStep::Verified,
        RectificationStep::Contacted,
        RectificationStep::Rectified,
    ] {
        let decision = run(&state, &main_dept(), step(s)).unwrap();
        events.push(decision.event);
        state = decision.next;
    }
    let expected = [
        EventKind::RectificationVerified,
        EventKind::RectificationContacted,
        EventKind::RectificationRectified,
    ];
    assert_eq!(events, expected);
    assert!(state.rectification.as_ref().unwrap().finished());
    assert_eq!(
        code(run(&state, &main_dept(), step(RectificationStep::Planned))),
        "rectification_conflict"
    );
    let complex = Action::MarkComplex {
        reason: text("涉及多部门"),
    };
    assert_eq!(
        code(run(&state, &dispatcher(), complex.clone())),
        "rectification_conflict"
    );

    let mut open = ticket(TicketStatus::Dispatched);
    open.rectification = Some(Rectification {
        department: MAIN.into(),
        complex: false,
        done: vec![RectificationStep::Contacted],
    });
    assert_eq!(
        code(run(&open, &main_dept(), step(RectificationStep::Contacted))),
        "rectification_conflict"
    );
    let marked = run(&open, &dispatcher(), complex.clone()).unwrap();
    assert!(marked.next.rectification.as_ref().unwrap().complex);
    assert_eq!(
        code(run(&marked.next, &dispatcher(), complex)),
        "rectification_conflict"
    );
}
