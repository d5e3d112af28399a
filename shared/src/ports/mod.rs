//! The narrow capabilities the use cases need. Adapters implement them; handlers ask only for
//! the ones they use.

mod checkout;
mod clock;
mod messaging;
mod network;
mod queue;
mod store;

pub use checkout::{Checkout, CheckoutError, CheckoutLine, NewCheckoutSession};
pub use clock::{Clock, SystemClock};
pub use messaging::{EmailMessage, Mailer, SendError, SmsMessage, SmsSender};
pub use network::{PostEvent, Posted, ResolveError, ResolveHost};
pub use queue::{QueueDeliveries, QueueError, QueuedDelivery};
pub use store::{
    Commit, CountOpens, DueEvents, DueExpiries, DueReminders, Found, LinkRecords, ListEvents, ListLinks, ListOrders,
    Read, ReadLinkRecords, RemoveLinkRecords, Store, StoreError, Throttle, Visit, Wanted, Write,
};
