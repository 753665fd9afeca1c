//! The Cognito outbox: claiming hands out only the oldest pending record of each user, never a
//! record another worker holds (until its lease expires), and failures, dead records and retries
//! are counted as `outbox status` reports them.

use crate::helpers::{at, test_store};
use std::time::Duration;
use store::outbox::{self, OutboxRecord};
use store::Store;

const LEASE: Duration = Duration::from_secs(60);

/// Claims for `worker` at `now_ms` and checks which (user, kind) pairs it got, in order.
async fn check(store: &Store, worker: &str, now_ms: i64, expected: &[(&str, &str)]) -> Vec<OutboxRecord> {
    let got = outbox::claim(store, worker, 10, at(now_ms), LEASE).await.unwrap();
    let pairs: Vec<(&str, &str)> = got.iter().map(|r| (r.user_id.as_str(), r.kind.as_str())).collect();
    assert_eq!(pairs, expected, "{worker} at {now_ms}");
    got
}

#[tokio::test]
async fn claims_in_order_per_user_with_leases_and_retries() {
    let store = test_store().await;
    let txn = store.write().await.unwrap();
    outbox::enqueue_sync(&*txn, &["u1".to_owned(), "u2".to_owned()], at(1_000)).await.unwrap();
    outbox::enqueue_sync(&*txn, &["u1".to_owned()], at(1_000)).await.unwrap();
    outbox::enqueue_delete(&*txn, "u2", &serde_json::json!({ "username": "u2" }), at(1_000)).await.unwrap();
    txn.commit().await.unwrap();

    // One record per user: the oldest. A second worker gets nothing while the leases hold.
    let first = check(&store, "a", 2_000, &[("u1", outbox::KIND_SYNC), ("u2", outbox::KIND_SYNC)]).await;
    check(&store, "b", 2_000, &[]).await;
    // The lease expires: the records come back (a crashed worker loses nothing).
    check(&store, "b", 2_000 + 61_000, &[("u1", outbox::KIND_SYNC), ("u2", outbox::KIND_SYNC)]).await;

    // u1's delivery covers both of its syncs; u2's sync fails and is due again later.
    let u1_syncs = outbox::pending_sync_ids(store.conn(), "u1").await.unwrap();
    assert_eq!(u1_syncs.len(), 2);
    let txn = store.write().await.unwrap();
    outbox::complete(&*txn, &u1_syncs).await.unwrap();
    outbox::fail(&*txn, first[1].id, "Cognito AdminGetUser failed (TooManyRequestsException)", at(200_000), false)
        .await
        .unwrap();
    txn.commit().await.unwrap();
    check(&store, "c", 100_000, &[]).await;
    let status = outbox::status(store.conn()).await.unwrap();
    assert_eq!((status.pending, status.retrying, status.done, status.dead), (2, 1, 2, 0));

    // Due again; this time it dies. Its delete is next in u2's order.
    let again = check(&store, "c", 200_000, &[("u2", outbox::KIND_SYNC)]).await;
    let txn = store.write().await.unwrap();
    outbox::fail(&*txn, again[0].id, "gave up", at(300_000), true).await.unwrap();
    txn.commit().await.unwrap();
    let failed = outbox::list(store.conn(), true, 10).await.unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!((failed[0].attempts, failed[0].last_error.as_deref()), (2, Some("gave up")));
    let delete = check(&store, "c", 300_000, &[("u2", outbox::KIND_DELETE)]).await;
    assert_eq!(delete[0].payload["username"], "u2");

    // `outbox retry` puts the dead record back, with its attempts reset.
    let txn = store.write().await.unwrap();
    assert_eq!(outbox::retry(&*txn, None, at(400_000)).await.unwrap(), 1);
    txn.commit().await.unwrap();
    let status = outbox::status(store.conn()).await.unwrap();
    assert_eq!((status.pending, status.dead), (2, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_workers_never_claim_the_same_record() {
    let store = test_store().await;
    let users: Vec<String> = (0..120).map(|i| format!("u{i:03}")).collect();
    let txn = store.write().await.unwrap();
    outbox::enqueue_sync(&*txn, &users, at(1_000)).await.unwrap();
    txn.commit().await.unwrap();
    let workers = (0..6).map(|w| {
        let store = store.clone();
        tokio::spawn(async move {
            let mut mine = Vec::new();
            for _ in 0..4 {
                let got = outbox::claim(&store, &format!("w{w}"), 7, at(2_000), LEASE).await.unwrap();
                mine.extend(got.into_iter().map(|r| r.id));
            }
            mine
        })
    });
    let mut all: Vec<i64> = Vec::new();
    for worker in workers {
        all.extend(worker.await.unwrap());
    }
    // Whatever a round skipped (locked by another claim at that instant) is still there.
    all.extend(outbox::claim(&store, "last", 200, at(2_000), LEASE).await.unwrap().into_iter().map(|r| r.id));
    let distinct: std::collections::BTreeSet<i64> = all.iter().copied().collect();
    assert_eq!(distinct.len(), all.len(), "a record was claimed twice");
    assert_eq!(all.len(), 120, "every record claimed exactly once");
}
