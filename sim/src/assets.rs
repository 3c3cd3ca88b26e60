//! The page's files, embedded at build time. The script is several plain files served as one,
//! wrapped in a function so that only the globals WhatsApp Web has leak out.

use std::sync::OnceLock;

pub const INDEX_HTML: &str = include_str!("../assets/index.html");
pub const STYLE_CSS: &str = include_str!("../assets/style.css");
pub const PHONE_HTML: &str = include_str!("../assets/phone.html");
pub const PHONE_JS: &str = include_str!("../assets/phone.js");
pub const PHONE_GROUPS_JS: &str = include_str!("../assets/phone_groups.js");

const SCRIPT_PARTS: &[&str] = &[
    include_str!("../assets/core.js"),
    include_str!("../assets/modules.js"),
    include_str!("../assets/inert.js"),
    include_str!("../assets/groups.js"),
    include_str!("../assets/ui.js"),
    include_str!("../assets/app.js"),
    include_str!("../assets/people.js"),
    include_str!("../assets/rich.js"),
    include_str!("../assets/media.js"),
    include_str!("../assets/weight.js"),
];

/// The page script, `/static/app.js`.
pub fn app_js() -> &'static str {
    static JS: OnceLock<String> = OnceLock::new();
    JS.get_or_init(|| {
        format!(
            "(function () {{\n'use strict';\n{}\n}})();\n",
            SCRIPT_PARTS.join("\n")
        )
    })
}
