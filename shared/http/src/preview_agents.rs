//! Link-preview bots: chat apps and social sites fetch a URL as soon as it is pasted, to draw a
//! card. Their fetch is not a customer: it must not make a Checkout Session or count an open.

/// Substrings of the user agents of the preview fetchers that matter (case-insensitive).
const PREVIEW_AGENTS: &[&str] = &[
    "facebookexternalhit",
    "facebot",
    "twitterbot",
    "slackbot",
    "slack-imgproxy",
    "linkedinbot",
    "whatsapp",
    "telegrambot",
    "discordbot",
    "skypeuripreview",
    "microsoftpreview",
    "teamsbot",
    "applebot",
    "redditbot",
    "pinterestbot",
    "embedly",
    "iframely",
    "googlebot",
    "bingbot",
    "google-pagerenderer",
    "mastodon",
    "bluesky",
    "viber",
    "line-poker",
    "kakaotalk-scrap",
];

/// Whether a request with this `User-Agent` is a link preview, not a person.
pub fn is_link_preview(user_agent: Option<&str>) -> bool {
    let Some(agent) = user_agent else { return false };
    let agent = agent.to_ascii_lowercase();
    PREVIEW_AGENTS.iter().any(|bot| agent.contains(bot))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_and_social_previews_are_known_and_browsers_are_not() {
        assert!(is_link_preview(Some("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)")));
        assert!(is_link_preview(Some("WhatsApp/2.23.20.0 A")));
        assert!(is_link_preview(Some("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)")));
        let safari = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
        assert!(!is_link_preview(Some(safari)));
        assert!(!is_link_preview(None));
    }
}
