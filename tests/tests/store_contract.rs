//! One contract, two stores: the embedded store and DynamoDB (on moto server) pass the same tests.

use std::sync::Arc;

use paylinks::adapters::dynamodb::DynamoStore;
use paylinks::adapters::embedded::EmbeddedStore;
use paylinks::ports::LinkStore;
use paylinks_tests::moto;

async fn embedded() -> Arc<dyn LinkStore> {
    Arc::new(EmbeddedStore::new())
}

async fn dynamodb() -> Arc<dyn LinkStore> {
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
            async fn concurrent_creates_for_one_order_let_exactly_one_win() {
                paylinks_tests::contract::concurrent_creates_for_one_order_let_exactly_one_win(super::$store().await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn concurrent_deliveries_of_one_payment_record_it_once() {
                paylinks_tests::contract::concurrent_deliveries_of_one_payment_record_it_once(super::$store().await).await;
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
    settings_read_back_as_saved_and_are_absent_until_then,
    a_link_reads_back_as_written_and_its_short_code_leads_to_it,
    a_link_past_its_retention_reads_as_gone,
    an_order_link_replaces_the_current_one_only_if_nobody_else_did,
    a_paid_order_gets_no_new_link,
    orders_of_one_merchant_are_not_another_merchants,
    a_status_changes_only_from_the_expected_statuses,
    one_session_attaches_per_read_of_the_link,
    opens_are_counted,
    a_paid_session_is_recorded_once_and_settles_link_and_order,
    late_and_repeated_events_never_undo_a_payment,
    an_idempotency_key_is_claimed_once_and_replays_its_response,
    a_recipients_resend_window_is_claimed_once_and_freed_by_a_failure,
    ending_a_link_moves_the_retention_of_everything_it_owns,
    a_settled_or_rejected_order_is_kept_for_the_retention_period,
);
