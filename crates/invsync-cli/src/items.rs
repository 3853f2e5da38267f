//! `--items` and `--overrides`: per-item settings and planner overrides, keyed like the
//! history, read and validated before anything is planned.

use std::collections::HashMap;
use std::path::Path;

use invsync_core::policy::{ItemSettings, Override, PolicyConfig, StockPosition};
use invsync_csv::{Key, key_text, read_item_settings, read_overrides};

use crate::{Failure, open_input};

/// Per-item settings and overrides by key, each with its file and line (to name in errors).
#[derive(Debug, Default)]
pub(crate) struct PerItem {
    settings: HashMap<Key, (u64, ItemSettings)>,
    overrides: HashMap<Key, (u64, Override)>,
    items_file: String,
    overrides_file: String,
}

impl PerItem {
    /// Reads both files (either may be absent). Every row's settings are applied over
    /// `base` and validated here, so a bad combination (say a `max_order` below the
    /// `moq`) is refused before any item is planned.
    pub(crate) fn load(
        items: Option<&Path>,
        overrides: Option<&Path>,
        key_names: &[String],
        base: &PolicyConfig,
    ) -> Result<PerItem, Failure> {
        let input = |e: invsync_csv::CsvError| Failure::Input(e.to_string());
        let mut out = PerItem::default();
        if let Some(p) = items {
            out.items_file = p.display().to_string();
            for r in read_item_settings(open_input(p)?, Some(&out.items_file), key_names).map_err(input)? {
                r.settings.apply(base).map_err(|e| {
                    Failure::Input(format!("{}:{}: item {}: {e}", out.items_file, r.line, key_text(&r.key)))
                })?;
                out.settings.insert(r.key, (r.line, r.settings));
            }
        }
        if let Some(p) = overrides {
            out.overrides_file = p.display().to_string();
            for r in read_overrides(open_input(p)?, Some(&out.overrides_file), key_names).map_err(input)? {
                out.overrides.insert(r.key, (r.line, r.planner_override));
            }
        }
        Ok(out)
    }

    /// Takes the item's settings and override out (so what is left at the end names
    /// items that are not in the history), and fits its stock position to its lead time:
    /// arrivals beyond it are dropped when they are zero (one state file serves items with
    /// different lead times); a non-zero one is left for the planner to refuse, naming
    /// the item.
    pub(crate) fn take(
        &mut self,
        key: &Key,
        base: &PolicyConfig,
        position: &mut StockPosition,
    ) -> (Option<ItemSettings>, Option<Override>) {
        let settings = self.settings.remove(key).map(|(_, s)| s);
        let lead_time = settings.as_ref().and_then(|s| s.lead_time).unwrap_or(base.lead_time);
        if position.arrivals.len() > lead_time && position.arrivals[lead_time..].iter().all(|a| *a == 0.0) {
            position.arrivals.truncate(lead_time);
        }
        (settings, self.overrides.remove(key).map(|(_, o)| o))
    }

    /// The item's lead time: its own from `--items`, else `base`'s.
    pub(crate) fn lead_time(&self, key: &Key, base: &PolicyConfig) -> usize {
        self.settings.get(key).and_then(|(_, s)| s.lead_time).unwrap_or(base.lead_time)
    }

    /// Refuses rows naming items that were not in the history (a typo would otherwise
    /// silently keep an item on the defaults or drop an override).
    pub(crate) fn finish(&self) -> Result<(), Failure> {
        fn first<T>(m: &HashMap<Key, (u64, T)>) -> Option<(&Key, u64)> {
            m.iter().map(|(k, (l, _))| (k, *l)).min_by_key(|(_, line)| *line)
        }
        for (file, left) in [(&self.items_file, first(&self.settings)), (&self.overrides_file, first(&self.overrides))]
        {
            if let Some((key, line)) = left {
                return Err(Failure::Input(format!("{file}:{line}: item {} is not in the history", key_text(key))));
            }
        }
        Ok(())
    }
}
