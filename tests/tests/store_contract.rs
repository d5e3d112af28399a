//! One contract, two stores: the embedded store and DynamoDB (on moto server) pass the same tests.

use std::sync::Arc;

use paylinks::ports::Store;
use paylinks_dynamodb::DynamoStore;
use paylinks_embedded::EmbeddedStore;
use paylinks_tests::moto;

async fn embedded() -> Arc<dyn Store> {
    Arc::new(EmbeddedStore::new())
}

async fn dynamodb() -> Arc<dyn Store> {
    let client = moto::dynamo().await;
    let table = moto::fresh_table(&client).await;
    Arc::new(DynamoStore::new(client, table))
}

macro_rules! contract_suite {
    ($store:ident: $($case:ident),+ $(,)?) => {
        mod $store {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let store = super::$store().await;
                    paylinks_tests::contract::$case(store.as_ref()).await;
                }
            )+

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn concurrent_writers_of_one_version_let_exactly_one_win() {
                paylinks_tests::contract::concurrent_writers_of_one_version_let_exactly_one_win(super::$store().await).await;
            }
        }
    };
}

macro_rules! both_stores {
    ($($case:ident),+ $(,)?) => {
        contract_suite!(embedded: $($case),+);
        contract_suite!(dynamodb: $($case),+);
    };
}

both_stores!(
    everything_committed_reads_back_in_one_read_at_version_one,
    a_write_at_a_stale_version_writes_nothing_of_its_commit,
    a_short_code_is_taken_once,
    an_orders_status_follows_onto_links_not_read_and_a_gone_link_is_left_alone,
    opens_are_counted_apart_from_versions,
    a_claim_is_undone_only_as_it_was_read,
    one_item_twice_or_over_a_hundred_in_a_commit_are_refused,
    reminder_schedules_are_due_from_the_index_until_they_end,
    suppressions_message_ids_and_a_deliverys_funnel_read_back,
    a_merchants_events_read_back_newest_first_page_by_page,
    a_limit_holds_in_its_window_and_a_spend_given_back_is_spent_again,
);
