//! The strictness the real site has (WA_WEB_SURFACE.md, WA_WEB_MODULES.md): module phases, the
//! argument forms current builds accept, and what the page itself does with its modules.

mod common;

use common::TestBrowser;
use wa_sim::{SimConfig, Simulator};

const NUMBER: &str = "923001234567";

fn probe(name: &str) -> String {
    format!("(() => {{ try {{ return typeof window.require('{name}'); }} catch (e) {{ return 'threw: ' + e.message; }} }})()")
}

#[tokio::test]
async fn only_the_linking_modules_exist_before_login() {
    let sim = Simulator::start(SimConfig::fast()).await.unwrap();
    let profile = tempfile::tempdir().unwrap();
    let browser = TestBrowser::launch(profile.path()).await;
    browser.open(&sim.base_url()).await;
    browser
        .wait_for("Debug.VERSION", "window.Debug && window.Debug.VERSION")
        .await;
    for name in [
        "WAWebSocketModel",
        "WAWebUserPrefsMultiDevice",
        "WAWebLinkDeviceEvents",
    ] {
        let got: String = browser.eval(&probe(name)).await.unwrap();
        assert_eq!(got, "object", "{name} before login");
    }
    for name in ["WAWebCollections", "WAWebSendMsgChatAction", "WAWebMsgKey"] {
        let got: String = browser.eval(&probe(name)).await.unwrap();
        assert!(
            got.contains("Requiring unknown module"),
            "{name} before login: {got}"
        );
    }
    let qr = common::shown_qr(&browser).await;
    sim.scan(&qr, NUMBER, "Alice").await.expect("scan");
    common::wait_synced(&browser).await;
    for name in ["WAWebCollections", "WAWebSendMsgChatAction", "WAWebMsgKey"] {
        let got: String = browser.eval(&probe(name)).await.unwrap();
        assert!(!got.starts_with("threw"), "{name} after login: {got}");
    }
    browser.close().await;
    sim.shutdown().await;
}

/// Every module name of WA_WEB_MODULES.md (145), in its order.
const ALL_MODULES: &[&str] = &[
    "WAWebSocketModel",
    "WAWebConnModel",
    "WAWebCmd",
    "WABase64",
    "WAWebSignalStoreApi",
    "WAWebUserPrefsInfoStore",
    "WAWebUserPrefsMultiDevice",
    "WAWebAdvSignatureApi",
    "WAWebCompanionRegClientUtils",
    "WAWebAltDeviceLinkingApi",
    "WAWebUserPrefsMeUser",
    "WAWebLaunchSocketUtils",
    "WAWebLinkDeviceEvents",
    "WAWebOfflineHandler",
    "WAWebMiscBrowserUtils",
    "WALinkify",
    "WAWebAddonPollVoteTableMode",
    "WAWebAddonReactionTableMode",
    "WAWebApiMessageInfoStore",
    "WAWebBackendJobsCommon",
    "WAWebChatClearBridge",
    "WAWebChatForwardMessage",
    "WAWebChatGetters",
    "WAWebChatLoadMessages",
    "WAWebChatMessageSearch",
    "WAWebChatSendMessages",
    "WAWebChatStateBridge",
    "WAWebCollections",
    "WAWebDBCreateOrUpdateReactions",
    "WAWebDeleteChatAction",
    "WAWebE2EProtoUtils",
    "WAWebFindChatAction",
    "WAWebGenerateEventCallLink",
    "WAWebGetEphemeralFieldsMsgActionsUtils",
    "WAWebLinkPreviewChatAction",
    "WAWebMsgActionCapability",
    "WAWebMsgDataFromModel",
    "WAWebMsgKey",
    "WAWebMsgReply",
    "WAWebNonMessageDataRequestPlaceholderMessageResendUtils",
    "WAWebNoteAction",
    "WAWebPinInChatSchema",
    "WAWebPinMsgConstants",
    "WAWebPollsSendVoteMsgAction",
    "WAWebPollsVotesSchema",
    "WAWebPresenceChatAction",
    "WAWebQueryExistsJob",
    "WAWebQuotedMsgModelUtils",
    "WAWebRevokeStatusAction",
    "WAWebSendAddonMsgChatAction",
    "WAWebSendEventEditMsgAction",
    "WAWebSendEventResponseMsgAction",
    "WAWebSendMessageEditAction",
    "WAWebSendMsgChatAction",
    "WAWebSendNonMessageDataRequest",
    "WAWebSendPinMessageAction",
    "WAWebSendReactionMsgAction",
    "WAWebSendStatusMsgAction",
    "WAWebStatusGatingUtils",
    "WAWebStreamModel",
    "WAWebSyncGatingUtils",
    "WAWebUpdateUnreadChatAction",
    "WAMediaCalculateFilehash",
    "WAWebAddWebpMetadata",
    "WAWebDownloadManager",
    "WAWebImageUtils",
    "WAWebMediaDataUtils",
    "WAWebMediaInMemoryBlobCache",
    "WAWebMediaOpaqueData",
    "WAWebMediaStorage",
    "WAWebMediaUpdateMsg",
    "WAWebMmsMediaTypes",
    "WAWebPrepRawMedia",
    "WAWebStartMediaUploadQpl",
    "WAWebUploadManager",
    "WAJids",
    "WAPhoneFindCC",
    "WAWebApiContact",
    "WAWebApiDeviceList",
    "WAWebBizGatingUtils",
    "WAWebBizOrderBridge",
    "WAWebBizProductCatalogBridge",
    "WAWebBlockContactAction",
    "WAWebBlockContactUtils",
    "WAWebBotMessageSecret",
    "WAWebBotProfileCollection",
    "WAWebContactCollection",
    "WAWebContactGetters",
    "WAWebContactProfilePicThumbBridge",
    "WAWebContactStatusBridge",
    "WAWebDeleteContactAction",
    "WAWebFrontendContactGetters",
    "WAWebFrontendVcardUtils",
    "WAWebJidToWid",
    "WAWebLidMigrationUtils",
    "WAWebPhoneUtils",
    "WAWebSaveContactAction",
    "WAWebVcardGetNameFromParsed",
    "WAWebVcardParsingUtils",
    "WAWebWid",
    "WAWebWidFactory",
    "WAWebWidToJid",
    "WASmaxGroupsAddParticipantsRPC",
    "WASmaxGroupsMembershipRequestsActionRPC",
    "WAWebApiMembershipApprovalRequestStore",
    "WAWebExitGroupAction",
    "WAWebFindCommonGroupsContactAction",
    "WAWebGroupCreateJob",
    "WAWebGroupInviteJob",
    "WAWebGroupInviteV4Job",
    "WAWebGroupMetadataCollection",
    "WAWebGroupModifyInfoJob",
    "WAWebGroupQueryJob",
    "WAWebMexFetchGroupInviteCodeJob",
    "WAWebModifyParticipantsGroupAction",
    "WAWebSetPropertyGroupAction",
    "WAWebChangeNewsletterOwnerAction",
    "WAWebDemoteNewsletterAdminAction",
    "WAWebEditNewsletterMetadataAction",
    "WAWebLoadNewsletterPreviewChatAction",
    "WAWebMexAcceptNewsletterAdminInviteJob",
    "WAWebMexFetchNewsletterSubscribersJob",
    "WAWebMexRevokeNewsletterAdminInviteJob",
    "WAWebNewsletterCreateQueryJob",
    "WAWebNewsletterDeleteAction",
    "WAWebNewsletterDemoteAdminJob",
    "WAWebNewsletterDirectorySearchAction",
    "WAWebNewsletterGatingUtils",
    "WAWebNewsletterMetadataQueryJob",
    "WAWebNewsletterModelUtils",
    "WAWebNewsletterSendMessageJob",
    "WAWebNewsletterSendMsgAction",
    "WAWebNewsletterSubscribeAction",
    "WAWebNewsletterSubscriberListAction",
    "WAWebNewsletterUnsubscribeAction",
    "WAWebNewsletterUpdateMsgsRecordsJob",
    "WAWebNewsletterUpdateUserSettingJob",
    "WADeprecatedSendIq",
    "WAWap",
    "WAWebCallCollection",
    "WAWebDrawerManager",
    "WAWebL10N",
    "WAWebSetPushnameConnAction",
    "WAWebUserPrefsGeneral",
    "WAWebUserPrefsNotifications",
];

#[tokio::test]
async fn every_module_name_of_current_builds_is_requireable_after_login() {
    assert_eq!(ALL_MODULES.len(), 145);
    let sim = Simulator::start(SimConfig::fast()).await.unwrap();
    let profile = tempfile::tempdir().unwrap();
    let browser = TestBrowser::launch(profile.path()).await;
    common::link(&browser, &sim, NUMBER).await;
    let names = serde_json::to_string(ALL_MODULES).unwrap();
    let js = format!(
        "(() => {{ const bad = []; for (const n of {names}) {{ try {{ const m = window.require(n); if (m == null) bad.push(n + ': empty'); }} catch (e) {{ bad.push(n + ': ' + e.message); }} }} return bad; }})()"
    );
    let bad: Vec<String> = browser.eval(&js).await.unwrap();
    assert!(bad.is_empty(), "{bad:?}");
    // An inert function fails the way a real failed call does: a rejection naming itself.
    let js = "window.require('WAWebChatClearBridge').sendClear({}).then(() => 'resolved', (e) => e.message)";
    let msg: String = browser.eval(js).await.unwrap();
    assert!(msg.contains("not imitated by wa-sim"), "{msg}");
    let js = "window.require('WAWebDrawerManager').DrawerManager.closeDrawerRight().catch((e) => e.message)";
    let msg: String = browser.eval(js).await.unwrap();
    assert!(msg.contains("WAWebDrawerManager"), "{msg}");
    browser.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn a_headless_chrome_user_agent_gets_a_browser_not_supported_page_without_modules() {
    let sim = Simulator::start(SimConfig::fast()).await.unwrap();
    let get = |agent: &'static str| {
        let url = sim.base_url();
        async move {
            let r = reqwest::Client::new()
                .get(url)
                .header("user-agent", agent)
                .send()
                .await
                .unwrap();
            r.text().await.unwrap()
        }
    };
    let headless = get("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/136.0.0.0 Safari/537.36").await;
    assert!(headless.contains("not supported"), "{headless}");
    assert!(!headless.contains("app.js"), "no bundles, so no modules");
    let chrome = get("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/136.0.0.0 Safari/537.36").await;
    assert!(chrome.contains("/static/app.js"));
    sim.shutdown().await;
}

#[tokio::test]
async fn send_seen_takes_only_the_object_form_and_changes_carry_the_previous_value() {
    let sim = Simulator::start(SimConfig::fast()).await.unwrap();
    let profile = tempfile::tempdir().unwrap();
    let browser = TestBrowser::launch(profile.path()).await;
    common::link(&browser, &sim, NUMBER).await;
    let js = r#"(async () => {
      const W = window.require('WAWebWidFactory');
      const { chat } = await window.require('WAWebFindChatAction').findOrCreateLatestChat(W.createWid('923339998877@c.us'));
      const U = window.require('WAWebUpdateUnreadChatAction');
      const old = await U.sendSeen(chat).then(() => 'accepted', (e) => 'threw: ' + e.message);
      const current = await U.sendSeen({ chat, threadId: undefined }).then(() => 'accepted', (e) => 'threw: ' + e.message);
      let seen = null;
      chat.on('change:unreadCount', (_m, now, before) => { seen = [now, before]; });
      chat.unreadCount = 5;
      return { old, current, seen };
    })()"#;
    let got: serde_json::Value = browser.eval(js).await.unwrap();
    assert!(got["old"].as_str().unwrap().starts_with("threw"), "{got}");
    assert_eq!(got["current"], "accepted", "{got}");
    assert_eq!(got["seen"], serde_json::json!([5, 0]), "{got}");
    browser.close().await;
    sim.shutdown().await;
}
