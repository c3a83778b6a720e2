//! The values of a ticket as the API writes them (channel, type, urgency, status, resolution,
//! rectification steps, event kinds) and the callback rating.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult, Code};

/// An enum whose values are fixed API strings: serde, OpenAPI, `ALL`, `as_str`, `parse` (with
/// a Chinese error listing the allowed values) and `Display`.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident, $code:ident, $what:literal,
     { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
        )]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        // Written by hand: the derive does not see `serde(rename)` through a macro, and the
        // document must list the values clients send.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($text),+]))
                    .description(Some($what))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn parse(text: &str) -> AppResult<$name> {
                Self::ALL.iter().copied().find(|v| v.as_str() == text).ok_or_else(|| {
                    let names: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                    AppError::new(
                        Code::$code,
                        format!("未知{} {text:?}，可选值：{}", $what, names.join("、")),
                    )
                })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(
    /// How the caller reached the hotline.
    Channel, InvalidChannel, "受理渠道",
    { Phone = "电话", Website = "网站", WeChat = "微信", App = "APP", Sms = "短信" }
);

text_enum!(
    /// What the caller wants; decides the reply deadline with [`Urgency`].
    TicketType, InvalidTicketType, "工单类型",
    {
        Consultation = "咨询",
        Help = "求助",
        Complaint = "投诉",
        Report = "举报",
        Suggestion = "建议",
        Praise = "表扬",
    }
);

text_enum!(
    /// 特急: water, power or gas cut off and the like; deadlines in natural hours.
    Urgency, InvalidUrgency, "紧急程度",
    { Normal = "一般", Urgent = "紧急", Critical = "特急" }
);

text_enum!(
    /// Where a ticket stands. See the module documentation for the flow.
    TicketStatus, InvalidStatus, "工单状态",
    {
        New = "new",
        Dispatched = "dispatched",
        Accepted = "accepted",
        Replied = "replied",
        Returned = "returned",
        Closed = "closed",
        Merged = "merged",
    }
);

text_enum!(
    /// `answered`: answered on the call and created closed (直接办结); `dispatch`: to be
    /// dispatched to a department.
    Resolution, InvalidResolution, "办理方式",
    { Answered = "answered", Dispatch = "dispatch" }
);

text_enum!(
    /// A step of the rectification track (差评整改) opened by a poor rating.
    RectificationStep, InvalidRectificationStep, "整改步骤",
    {
        /// 核实情况
        Verified = "verified",
        /// 联系来电人
        Contacted = "contacted",
        /// 制定整改方案
        Planned = "planned",
        /// 整改完成; ends the track, and needs `contacted` first.
        Rectified = "rectified",
    }
);

impl TicketStatus {
    pub fn label(self) -> &'static str {
        match self {
            TicketStatus::New => "待派单",
            TicketStatus::Dispatched => "已派单",
            TicketStatus::Accepted => "已受理",
            TicketStatus::Replied => "已答复",
            TicketStatus::Returned => "已退回",
            TicketStatus::Closed => "已办结",
            TicketStatus::Merged => "已合并",
        }
    }

    /// Whether the reply deadline runs (and warnings apply) in this status.
    pub fn deadline_running(self) -> bool {
        matches!(
            self,
            TicketStatus::Dispatched | TicketStatus::Accepted | TicketStatus::Returned
        )
    }
}

impl Resolution {
    /// 直接办结 tickets start closed; the others wait for dispatch.
    pub fn initial_status(self) -> TicketStatus {
        match self {
            Resolution::Answered => TicketStatus::Closed,
            Resolution::Dispatch => TicketStatus::New,
        }
    }
}

impl RectificationStep {
    pub fn label(self) -> &'static str {
        match self {
            RectificationStep::Verified => "核实情况",
            RectificationStep::Contacted => "联系来电人",
            RectificationStep::Planned => "制定整改方案",
            RectificationStep::Rectified => "整改完成",
        }
    }
}

/// The caller's satisfaction at the callback (回访), 1 to 5.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(try_from = "u8", into = "u8")]
#[schema(
    value_type = u8,
    example = 4,
    description = "回访满意度：5 非常满意，4 满意，3 基本满意，2 不满意，1 非常不满意"
)]
pub struct Rating(u8);

impl Rating {
    pub fn new(value: u8) -> AppResult<Rating> {
        if (1..=5).contains(&value) {
            Ok(Rating(value))
        } else {
            Err(AppError::new(Code::InvalidRating,
                format!(
                    "满意度 {value} 无效，应为 1–5：5 非常满意，4 满意，3 基本满意，2 不满意，1 非常不满意"
                ),
            ))
        }
    }

    pub fn value(self) -> u8 {
        self.0
    }

    pub fn label(self) -> &'static str {
        match self.0 {
            5 => "非常满意",
            4 => "满意",
            3 => "基本满意",
            2 => "不满意",
            _ => "非常不满意",
        }
    }

    /// 不满意 and 非常不满意: the ticket is redone and the rectification track opens.
    pub fn is_poor(self) -> bool {
        self.0 <= 2
    }
}

impl TryFrom<u8> for Rating {
    type Error = AppError;
    fn try_from(value: u8) -> AppResult<Rating> {
        Rating::new(value)
    }
}

impl From<Rating> for u8 {
    fn from(rating: Rating) -> u8 {
        rating.0
    }
}

text_enum!(
    /// The stable name of what happened, for the ticket's event log.
    EventKind, InvalidEventKind, "事件类型",
    {
        Created = "created",
        Dispatched = "dispatched",
        Accepted = "accepted",
        Replied = "replied",
        /// A co-department's reply note; the status does not change.
        CoReplied = "co_replied",
        Returned = "returned",
        ReturnRejected = "return_rejected",
        ExtensionRequested = "extension_requested",
        ExtensionApproved = "extension_approved",
        ExtensionDenied = "extension_denied",
        /// Callback rated 3 or better.
        Closed = "closed",
        /// Callback rated 1 or 2: back to the same department for another round.
        Redo = "redo",
        /// Callback rated 1 or 2 after the last allowed round: back to the dispatchers.
        RedoEscalated = "redo_escalated",
        Merged = "merged",
        Supervised = "supervised",
        RectificationVerified = "rectification_verified",
        RectificationContacted = "rectification_contacted",
        RectificationPlanned = "rectification_planned",
        RectificationRectified = "rectification_rectified",
        RectificationComplex = "rectification_complex",
    }
);
