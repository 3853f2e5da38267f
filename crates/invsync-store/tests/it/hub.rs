//! DurableHub: the hub's state through restarts.

use invsync_core::ledger::{Event, Movement};
use invsync_core::sync::{Endpoint, EndpointKind, HubConfig};
use invsync_core::{EventId, SourceId, Timestamp};
use invsync_store::{DurableHub, DurableLedger, SqliteStore, StoreError};

use crate::common::{config, item, location};

fn pos() -> SourceId {
    SourceId::new("pos").unwrap()
}

fn sale(i: u64, minute: i64) -> Event {
    let mut e = Event::new(
        EventId::new(format!("s{i}")).unwrap(),
        pos(),
        item(i % 2),
        location(0),
        Timestamp::from_millis(minute * 60_000),
        Movement::issue(1),
    );
    e.source_seq = Some(i + 1);
    e
}

/// Held events, a sequence gap and its exception, acknowledgements and publication
/// versions come back after each of several restarts, and commands go on being numbered
/// after the stored ones.
#[test]
fn the_hub_reopens_to_the_same_state() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.db");
    let cfg = HubConfig { hold_window_ms: 5 * 60_000, gap_timeout_ms: 60_000, ..HubConfig::default() };
    let mut live = invsync_core::sync::Hub::new(invsync_core::ledger::Ledger::new(config()), cfg);
    live.add_endpoint(Endpoint::new(pos(), EndpointKind::Pos)).unwrap();
    let mut durable =
        DurableHub::create(DurableLedger::open(SqliteStore::create(&path, &config()).unwrap()).unwrap(), cfg).unwrap();
    durable.apply(|h| h.add_endpoint(Endpoint::new(pos(), EndpointKind::Pos))).unwrap().unwrap();
    // Sale 3 never arrives: a gap.
    for (round, range) in [(0, 0..3u64), (1, 4..8), (2, 8..12)] {
        for i in range {
            let (e, at) = (sale(i, i as i64), Timestamp::from_millis((i as i64 + 1) * 60_000));
            let got = durable.apply(|h| h.receive(&pos(), e.clone(), at)).unwrap().unwrap();
            assert_eq!(got, live.receive(&pos(), e, at).unwrap());
        }
        let now = Timestamp::from_millis((round * 4 + 6) * 60_000);
        let published = durable
            .apply(|h| {
                h.advance(now);
                let v = h.hub().version();
                h.acknowledge(&pos(), v, now).unwrap();
                h.publish()
            })
            .unwrap();
        live.advance(now);
        live.acknowledge(&pos(), live.version(), now).unwrap();
        assert_eq!(published, live.publish());
        drop(durable);
        durable = DurableHub::open(SqliteStore::open(&path).unwrap()).unwrap();
        let h = durable.hub();
        assert!(h.ledger().events().eq(live.ledger().events()), "round {round}");
        assert_eq!((h.held(), h.version(), h.now()), (live.held(), live.version(), live.now()), "round {round}");
        assert_eq!(h.gaps(&pos()).unwrap(), live.gaps(&pos()).unwrap());
        assert_eq!(h.exceptions(), live.exceptions());
        assert_eq!(h.stats(&pos()).unwrap(), live.stats(&pos()).unwrap());
        assert_eq!(h.latency(), live.latency());
        assert!(h.held() > 0 || round == 2, "round {round}: events are held across the restart");
    }
    assert!(!live.exceptions().is_empty(), "the gap was reported");
    assert_eq!(durable.apply(|h| h.take_exceptions()).unwrap(), live.take_exceptions());
    drop(durable);
    let ro = DurableHub::open(SqliteStore::open_read_only(&path).unwrap()).unwrap();
    assert!(ro.hub().exceptions().is_empty());
    assert_eq!(ro.hub().held(), live.held());
    let mut ro = ro;
    assert!(matches!(ro.apply(|h| h.flush()), Err(StoreError::ReadOnly)));
}

#[test]
fn a_hub_needs_a_store_without_events_and_reopens_only_where_started() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let mut ledger = DurableLedger::open(SqliteStore::create(&path, &config()).unwrap()).unwrap();
    ledger.append(&[sale(0, 0)]).unwrap();
    let r = DurableHub::create(ledger, HubConfig::default());
    assert!(matches!(r, Err(StoreError::HubState { .. })), "{r:?}");
    let r = DurableHub::open(SqliteStore::open(&path).unwrap());
    assert!(matches!(r, Err(StoreError::HubState { ref message, .. }) if message.contains("no hub")), "{r:?}");

    let other = dir.path().join("h.db");
    let ledger = DurableLedger::open(SqliteStore::create(&other, &config()).unwrap()).unwrap();
    drop(DurableHub::create(ledger, HubConfig::default()).unwrap());
    let ledger = DurableLedger::open(SqliteStore::open(&other).unwrap()).unwrap();
    let r = DurableHub::create(ledger, HubConfig::default());
    assert!(matches!(r, Err(StoreError::HubState { ref message, .. }) if message.contains("already")), "{r:?}");
}
