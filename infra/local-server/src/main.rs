//! `cargo run -p local-server`: the whole service on 127.0.0.1:$PORT (default 3000).

use local_server::{Options, start};
use paylinks::config::or_exit;

#[tokio::main]
async fn main() {
    paylinks::logging::init();
    let options = or_exit(Options::from_env().await);
    let server = or_exit(start(options).await);
    println!("Payment links local server listening on {}", server.base_url);
    println!("Dev merchant: {}", server.dev_merchant);
    println!("Dev merchant token (Authorization: Bearer …):\n{}", server.dev_token);
    println!("Try: curl -s -H \"Authorization: Bearer $TOKEN\" {}/settings", server.base_url);
    if tokio::signal::ctrl_c().await.is_ok() {
        println!("stopping");
    }
}
