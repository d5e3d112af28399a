//! How long each outbound call may take, and each function: the one place these numbers live.
//! A Lambda that hits its own timeout is killed before it can answer, so every client gives up
//! (retries included) well inside its function's timeout, and every request answers a retryable
//! 5xx by its deadline. `template.yaml`'s `Timeout` values are checked against `FUNCTIONS`.

use std::time::Duration;

/// What one client may spend on one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientBudget {
    pub name: &'static str,
    pub connect: Duration,
    /// One attempt, connect included.
    pub attempt: Duration,
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// The first retry waits at most this long; each later one at most twice the one before.
    pub initial_backoff: Duration,
}

impl ClientBudget {
    /// The longest one operation can take: every attempt timing out, every backoff at its ceiling.
    pub const fn worst_case(&self) -> Duration {
        let mut total = self.attempt.as_millis() as u64 * self.attempts as u64;
        let mut backoff = self.initial_backoff.as_millis() as u64;
        let mut retry = 1;
        while retry < self.attempts {
            total += backoff;
            backoff *= 2;
            retry += 1;
        }
        Duration::from_millis(total)
    }
}

/// DynamoDB answers in milliseconds; a slow attempt is better retried than waited for. (Two
/// seconds, not less: moto on a loaded two-core CI machine takes over a second at times, and an
/// attempt given up after it wrote is one more retry that must recognise its own write.)
pub const DYNAMODB: ClientBudget = ClientBudget {
    name: "dynamodb",
    connect: Duration::from_millis(500),
    attempt: Duration::from_secs(2),
    attempts: 3,
    initial_backoff: Duration::from_millis(50),
};

/// A counter's increment (an open counted) is not idempotent: a retry after an attempt that
/// timed out once applied would count one visit twice. One attempt, given about what a retried
/// call would have had in all: a count is lost only to a real fault, never doubled.
pub const DYNAMODB_COUNT: ClientBudget = ClientBudget {
    name: "dynamodb-count",
    connect: Duration::from_millis(500),
    attempt: Duration::from_secs(5),
    attempts: 1,
    initial_backoff: Duration::ZERO,
};

pub const SES: ClientBudget = ClientBudget {
    name: "ses",
    connect: Duration::from_millis(500),
    attempt: Duration::from_secs(3),
    attempts: 2,
    initial_backoff: Duration::from_millis(200),
};

pub const SNS: ClientBudget = ClientBudget {
    name: "sns",
    connect: Duration::from_millis(500),
    attempt: Duration::from_secs(3),
    attempts: 2,
    initial_backoff: Duration::from_millis(200),
};

/// Queueing a merchant's event deliveries, and putting one off after a failed attempt.
pub const SQS: ClientBudget = ClientBudget {
    name: "sqs",
    connect: Duration::from_millis(500),
    attempt: Duration::from_secs(2),
    attempts: 3,
    initial_backoff: Duration::from_millis(100),
};

/// Stripe is called once per request: its idempotency key makes the caller's retry safe, and a
/// customer waiting on a redirect is better served by an error page than by a long wait.
pub const STRIPE: ClientBudget = ClientBudget {
    name: "stripe",
    connect: Duration::from_secs(2),
    attempt: Duration::from_secs(6),
    attempts: 1,
    initial_backoff: Duration::ZERO,
};

/// Time kept back at the end of a function's timeout to answer (and log) after giving up.
pub const ANSWER_MARGIN: Duration = Duration::from_secs(2);

/// A function: its Lambda timeout and the clients it calls.
#[derive(Debug, Clone, Copy)]
pub struct FunctionBudget {
    /// The binary's name, as `template.yaml`'s `BuildProperties.Binary` says it.
    pub binary: &'static str,
    /// The Lambda `Timeout`, in seconds.
    pub timeout_seconds: u64,
    pub clients: &'static [ClientBudget],
}

impl FunctionBudget {
    pub const fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_seconds)
    }

    /// When a request stops waiting and answers a retryable 5xx instead.
    pub const fn deadline(&self) -> Duration {
        Duration::from_secs(self.timeout_seconds - ANSWER_MARGIN.as_secs())
    }
}

pub const CREATE_LINK: FunctionBudget =
    FunctionBudget { binary: "create-link", timeout_seconds: 10, clients: &[DYNAMODB] };
/// Up to 50 recipients, each its own message: the longest-running route (API Gateway waits 30 s).
pub const SEND_EMAIL: FunctionBudget =
    FunctionBudget { binary: "send-email", timeout_seconds: 29, clients: &[DYNAMODB, SES] };
pub const SEND_SMS: FunctionBudget =
    FunctionBudget { binary: "send-sms", timeout_seconds: 29, clients: &[DYNAMODB, SNS] };
pub const REDEEM_LINK: FunctionBudget =
    FunctionBudget { binary: "redeem-link", timeout_seconds: 15, clients: &[DYNAMODB, DYNAMODB_COUNT, STRIPE] };
pub const STRIPE_WEBHOOK: FunctionBudget =
    FunctionBudget { binary: "stripe-webhook", timeout_seconds: 15, clients: &[DYNAMODB] };
pub const MANAGE_LINKS: FunctionBudget =
    FunctionBudget { binary: "manage-links", timeout_seconds: 15, clients: &[DYNAMODB, STRIPE] };

/// A batch of removed links, each a query and a few transactions of deletes.
pub const LINK_CLEANUP: FunctionBudget =
    FunctionBudget { binary: "link-cleanup", timeout_seconds: 60, clients: &[DYNAMODB] };

/// A scheduled run: batches of due reminders, each slot a few DynamoDB calls and one message.
pub const SEND_REMINDERS: FunctionBudget =
    FunctionBudget { binary: "send-reminders", timeout_seconds: 120, clients: &[DYNAMODB, SES, SNS] };
/// The longest one reminder slot may take (a claim, the message with its retries, the commit): a
/// run takes no new slot once less than this is left before its deadline.
pub const SEND_REMINDERS_SLOT: Duration = Duration::from_secs(30);

/// A batch of SES events from SNS, each a read and one transaction.
pub const DELIVERY_EVENTS: FunctionBudget =
    FunctionBudget { binary: "delivery-events", timeout_seconds: 30, clients: &[DYNAMODB] };

/// Scheduled: events due, each a read, a batch to SQS and a write. From SQS: ten deliveries at
/// most, each a read, a POST (10 s at most) and a write.
pub const SEND_WEBHOOKS: FunctionBudget =
    FunctionBudget { binary: "send-webhooks", timeout_seconds: 300, clients: &[DYNAMODB, SQS] };

/// One read, a QR code drawn.
pub const LINK_QR: FunctionBudget = FunctionBudget { binary: "link-qr", timeout_seconds: 10, clients: &[DYNAMODB] };

pub const FUNCTIONS: [FunctionBudget; 11] = [
    CREATE_LINK,
    SEND_EMAIL,
    SEND_SMS,
    REDEEM_LINK,
    STRIPE_WEBHOOK,
    MANAGE_LINKS,
    LINK_CLEANUP,
    SEND_REMINDERS,
    DELIVERY_EVENTS,
    SEND_WEBHOOKS,
    LINK_QR,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_client_gives_up_inside_every_function_that_calls_it_with_time_to_answer() {
        for function in FUNCTIONS {
            for client in function.clients {
                assert!(
                    client.worst_case() <= function.deadline(),
                    "{} waits up to {:?} on {}, its timeout is {:?}",
                    function.binary,
                    client.worst_case(),
                    client.name,
                    function.timeout()
                );
            }
        }
    }

    #[test]
    fn the_worst_case_counts_every_attempt_and_backoff() {
        let budget = ClientBudget {
            name: "x",
            connect: Duration::from_millis(1),
            attempt: Duration::from_secs(1),
            attempts: 3,
            initial_backoff: Duration::from_millis(100),
        };
        assert_eq!(budget.worst_case(), Duration::from_millis(3000 + 100 + 200));
    }
}
