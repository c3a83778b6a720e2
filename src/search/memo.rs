//! A small shared map for values that are costly to compute and cheap to recompute: it
//! forgets everything when it grows past its bound, so memory stays flat however many
//! different keys a long-running server sees. What it forgets is dropped on a thread of its
//! own: freeing twenty thousand parsed entries takes tens of milliseconds, which must not
//! land on the search that happened to fill the map.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

pub struct Memo<K, V> {
    map: Mutex<HashMap<K, V>>,
    bound: usize,
}

impl<K: Eq + Hash + Send + 'static, V: Clone + Send + 'static> Memo<K, V> {
    pub fn new(bound: usize) -> Memo<K, V> {
        Memo {
            map: Mutex::new(HashMap::new()),
            bound,
        }
    }

    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        self.map.lock().ok()?.get(key).cloned()
    }

    pub fn insert(&self, key: K, value: V) {
        if let Ok(mut map) = self.map.lock() {
            if map.len() >= self.bound {
                drop_elsewhere(std::mem::take(&mut *map));
            }
            map.insert(key, value);
        }
    }

    pub fn clear(&self) {
        if let Ok(mut map) = self.map.lock() {
            drop_elsewhere(std::mem::take(&mut *map));
        }
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.map.lock().map_or(0, |map| map.len())
    }
}

/// Drops a large map on a short-lived thread (in place when it is small or no thread can be
/// started).
fn drop_elsewhere<K: Send + 'static, V: Send + 'static>(map: HashMap<K, V>) {
    if map.len() < 256 {
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("memo-drop".into())
        .spawn(move || drop(map));
    if let Err(err) = spawned {
        tracing::debug!(error = %err, "memo dropped in place");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_until_the_bound_then_starts_over() {
        let memo: Memo<String, u32> = Memo::new(2);
        memo.insert("社保卡".into(), 1);
        memo.insert("公积金".into(), 2);
        assert_eq!(memo.get("社保卡"), Some(1));
        memo.insert("户口".into(), 3);
        assert_eq!(memo.len(), 1);
        assert_eq!(memo.get("社保卡"), None);
        assert_eq!(memo.get("户口"), Some(3));
        memo.clear();
        assert_eq!(memo.get("户口"), None);
    }
}
