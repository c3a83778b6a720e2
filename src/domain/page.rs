//! Pagination of list endpoints: `limit` and `offset` with caps.

use crate::error::{AppError, AppResult, Code};

pub const DEFAULT_PAGE_SIZE: usize = 50;
pub const MAX_PAGE_SIZE: usize = 200;

/// One validated page request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    pub limit: usize,
    pub offset: usize,
}

impl Page {
    /// Parses raw `limit` and `offset` parameters.
    pub fn parse(limit: Option<&str>, offset: Option<&str>) -> AppResult<Page> {
        let number = |name: &str, value: Option<&str>| -> AppResult<Option<usize>> {
            value
                .map(|v| {
                    let v = v.trim();
                    // A number too large for this machine is still a number: it saturates
                    // (an offset past the end finds nothing).
                    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
                        return Ok(v.parse::<usize>().unwrap_or(usize::MAX));
                    }
                    v.parse::<usize>().map_err(|_| {
                        AppError::new(
                            Code::InvalidParameter,
                            format!("{name} 应为非负整数，收到 {v:?}"),
                        )
                    })
                })
                .transpose()
        };
        let limit = number("limit", limit)?.unwrap_or(DEFAULT_PAGE_SIZE);
        if limit == 0 || limit > MAX_PAGE_SIZE {
            return Err(AppError::new(
                Code::InvalidLimit,
                format!("limit 应在 1 到 {MAX_PAGE_SIZE} 之间，收到 {limit}"),
            ));
        }
        Ok(Page {
            limit,
            offset: number("offset", offset)?.unwrap_or(0),
        })
    }

    /// `LIMIT` and `OFFSET` for SQL; an offset beyond `i64` saturates (and finds nothing)
    /// rather than wrapping to a negative number the database rejects.
    pub fn sql(&self) -> (i64, i64) {
        let clamp = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        (clamp(self.limit), clamp(self.offset))
    }

    /// The items of this page out of a full list.
    pub fn slice<T: Clone>(&self, items: &[T]) -> Vec<T> {
        items
            .iter()
            .skip(self.offset)
            .take(self.limit)
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_have_defaults_and_caps() {
        assert_eq!(
            Page::parse(None, None).unwrap(),
            Page {
                limit: 50,
                offset: 0
            }
        );
        assert_eq!(
            Page::parse(Some("0"), None).unwrap_err().code.as_str(),
            "invalid_limit"
        );
        assert_eq!(
            Page::parse(Some("201"), None).unwrap_err().code.as_str(),
            "invalid_limit"
        );
        assert_eq!(
            Page::parse(None, Some("-1")).unwrap_err().code.as_str(),
            "invalid_parameter"
        );
        let page = Page::parse(Some("2"), Some("1")).unwrap();
        assert_eq!(page.slice(&[1, 2, 3, 4]), vec![2, 3]);
        assert_eq!(page.sql(), (2, 1));
        let far = Page::parse(None, Some(&usize::MAX.to_string())).unwrap();
        assert_eq!(far.sql(), (50, i64::MAX));
    }
}
