// ---- inert.js: every other module name of current builds (WA_WEB_MODULES.md) ----
// They exist so that an injector written for the real site finds what it requires. Their members are
// the ones WA_WEB_FEATURES.md says injectors read; functions reject with "not imitated by wa-sim".

/** Members per module: `fn` a function, `obj.fn` a function on an object, `Class` an inert class. */
const INERT_MEMBERS = {
    WAWebAddonPollVoteTableMode: ['pollVoteTableMode.bulkUpsert'],
    WAWebAddonReactionTableMode: ['reactionTableMode.bulkUpsert'],
    WAWebApiMessageInfoStore: ['queryMsgInfo'],
    WAWebBackendJobsCommon: ['mediaTypeFromProtobuf'],
    WAWebChatClearBridge: ['sendClear'],
    WAWebChatForwardMessage: ['forwardMessages'],
    WAWebChatLoadMessages: ['loadEarlierMsgs'],
    WAWebChatMessageSearch: ['messageSearch'],
    WAWebChatSendMessages: ['sendGroupInviteMessage'],
    WAWebChatStateBridge: ['sendChatStateComposing', 'sendChatStateRecording', 'sendChatStatePaused'],
    WAWebDBCreateOrUpdateReactions: ['createOrUpdateReactions'],
    WAWebDeleteChatAction: ['sendDelete'],
    WAWebE2EProtoUtils: ['typeAttributeFromProtobuf'],
    WAWebGenerateEventCallLink: ['createEventCallLink'],
    WAWebLinkPreviewChatAction: ['getLinkPreview'],
    WAWebMsgActionCapability: ['canSenderRevokeMsg', 'canAdminRevokeMsg', 'canEditText', 'canEditCaption', 'canStarMsg'],
    WAWebMsgDataFromModel: ['msgDataFromMsgModel'],
    WAWebMsgReply: ['canReplyMsg'],
    WAWebNonMessageDataRequestPlaceholderMessageResendUtils: ['handlePlaceholderMsgsSeen'],
    WAWebNoteAction: ['retrieveOnlyNoteForChatJid', 'noteAddAction'],
    WAWebPinInChatSchema: ['getTable'],
    WAWebPinMsgConstants: [],
    WAWebPollsSendVoteMsgAction: ['sendVote'],
    WAWebPollsVotesSchema: ['getTable'],
    WAWebPresenceChatAction: ['sendPresenceAvailable', 'sendPresenceUnavailable'],
    WAWebQuotedMsgModelUtils: ['getQuotedMsgObj'],
    WAWebRevokeStatusAction: ['sendStatusRevokeMsgAction'],
    WAWebSendAddonMsgChatAction: ['addAndSendAddonToChat'],
    WAWebSendEventEditMsgAction: ['sendEventEditMessage'],
    WAWebSendEventResponseMsgAction: ['sendEventResponseMsg'],
    WAWebSendMessageEditAction: ['sendMessageEdit'],
    WAWebSendNonMessageDataRequest: ['sendPeerDataOperationRequest'],
    WAWebSendPinMessageAction: ['sendPinInChatMsg'],
    WAWebSendReactionMsgAction: ['sendReactionToMsg'],
    WAWebSendStatusMsgAction: ['sendStatusMsgAction'],
    WAWebStatusGatingUtils: ['canSendTextStatus', 'canSendMediaStatus'],
    WAWebSyncGatingUtils: ['isPlaceholderMessageResendEnabled'],
    WAMediaCalculateFilehash: ['calculateFilehash'],
    WAWebAddWebpMetadata: ['addWebpMetadata'],
    WAWebDownloadManager: ['downloadManager.downloadAndMaybeDecrypt'],
    WAWebImageUtils: ['toWebpSticker'],
    WAWebMediaDataUtils: ['shouldUseMediaCache'],
    WAWebMediaInMemoryBlobCache: ['InMemoryMediaBlobCache.put'],
    WAWebMediaOpaqueData: 'Class:createFromData',
    WAWebMediaStorage: ['getOrCreateMediaObject'],
    WAWebMediaUpdateMsg: ['updateMsgMedia'],
    WAWebMmsMediaTypes: ['msgToMediaType', 'castToV4'],
    WAWebPrepRawMedia: ['prepRawMedia'],
    WAWebStartMediaUploadQpl: ['startMediaUploadQpl'],
    WAWebUploadManager: ['encryptAndUpload'],
    WAWebMediaMmsV4Upload: ['uploadMedia', 'uploadUnencryptedMedia'],
    WAJids: ['validateWid'],
    WAPhoneFindCC: ['findCC'],
    WAWebApiDeviceList: ['getDeviceIds'],
    WAWebBizGatingUtils: ['isBizCatalogEnabled'],
    WAWebBizOrderBridge: ['queryOrder'],
    WAWebBizProductCatalogBridge: ['queryProduct', 'queryCatalog'],
    WAWebBlockContactAction: ['blockContact', 'unblockContact'],
    WAWebBlockContactUtils: ['getIsBlocked'],
    WAWebBotMessageSecret: ['genBotMsgSecretFromMsgSecret'],
    WAWebBotProfileCollection: ['BotProfileCollection.get'],
    WAWebContactCollection: ['ContactCollection.get'],
    WAWebContactGetters: ['getIsMe', 'getIsUser', 'getIsGroup', 'getIsWAContact', 'getUserid', 'getVerifiedName', 'getVerifiedLevel', 'getStatusMute', 'getName', 'getShortName', 'getPushname', 'getIsEnterprise'],
    WAWebContactProfilePicThumbBridge: ['requestProfilePicFromServer', 'sendSetPicture', 'requestDeletePicture'],
    WAWebContactStatusBridge: ['getStatus', 'setMyStatus'],
    WAWebDeleteContactAction: ['deleteContactAction'],
    WAWebFrontendContactGetters: ['getIsMyContact'],
    WAWebFrontendVcardUtils: ['vcardFromContactModel'],
    WAWebJidToWid: ['userJidToUserWid'],
    WAWebLidMigrationUtils: ['toPn'],
    WAWebPhoneUtils: ['formattedPhoneNumber'],
    WAWebSaveContactAction: ['saveContactAction'],
    WAWebVcardGetNameFromParsed: ['vcardGetNameFromParsed'],
    WAWebVcardParsingUtils: ['parseVcard'],
    WAWebWid: 'Class',
    WAWebWidToJid: ['widToGroupJid', 'widToUserJid'],
    WASmaxGroupsAddParticipantsRPC: ['sendAddParticipantsRPC'],
    WASmaxGroupsMembershipRequestsActionRPC: ['sendMembershipRequestsActionRPC'],
    WAWebApiMembershipApprovalRequestStore: ['getMembershipApprovalRequests'],
    WAWebExitGroupAction: ['sendExitGroup'],
    WAWebFindCommonGroupsContactAction: ['findCommonGroups'],
    WAWebGroupCreateJob: ['createGroup'],
    WAWebGroupInviteJob: ['joinGroupViaInvite'],
    WAWebGroupInviteV4Job: ['joinGroupViaInviteV4'],
    WAWebGroupMetadataCollection: ['GroupMetadataCollection.get', 'GroupMetadataCollection.update'],
    WAWebGroupModifyInfoJob: ['setGroupSubject', 'setGroupDescription'],
    WAWebGroupQueryJob: ['queryAndUpdateGroupMetadataById', 'queryGroupInvite', 'resetGroupInviteCode'],
    WAWebMexFetchGroupInviteCodeJob: ['fetchMexGroupInviteCode'],
    WAWebModifyParticipantsGroupAction: ['removeParticipants', 'promoteParticipants', 'demoteParticipants'],
    WAWebSetPropertyGroupAction: ['setGroupProperty'],
    WAWebChangeNewsletterOwnerAction: ['changeNewsletterOwnerAction'],
    WAWebDemoteNewsletterAdminAction: ['demoteNewsletterAdminAction'],
    WAWebEditNewsletterMetadataAction: ['editNewsletterMetadataAction'],
    WAWebLoadNewsletterPreviewChatAction: ['loadNewsletterPreviewChat'],
    WAWebMexAcceptNewsletterAdminInviteJob: ['acceptNewsletterAdminInvite'],
    WAWebMexFetchNewsletterSubscribersJob: ['fetchNewsletterSubscribers'],
    WAWebMexRevokeNewsletterAdminInviteJob: ['revokeNewsletterAdminInvite'],
    WAWebNewsletterCreateQueryJob: ['createNewsletterQuery'],
    WAWebNewsletterDeleteAction: ['deleteNewsletterAction'],
    WAWebNewsletterDemoteAdminJob: ['demoteNewsletterAdmin'],
    WAWebNewsletterDirectorySearchAction: ['newsletterDirectorySearch'],
    WAWebNewsletterGatingUtils: ['isNewsletterCreationEnabled'],
    WAWebNewsletterMetadataQueryJob: ['queryNewsletterMetadataByJid'],
    WAWebNewsletterModelUtils: ['getRoleByIdentifier'],
    WAWebNewsletterSendMessageJob: ['sendNewsletterMessageJob'],
    WAWebNewsletterSendMsgAction: ['sendNewsletterMsg'],
    WAWebNewsletterSubscribeAction: ['subscribeToNewsletterAction'],
    WAWebNewsletterSubscriberListAction: ['getNewsletterSubscribers'],
    WAWebNewsletterUnsubscribeAction: ['unsubscribeFromNewsletterAction'],
    WAWebNewsletterUpdateMsgsRecordsJob: ['updateNewsletterMsgRecords'],
    WAWebNewsletterUpdateUserSettingJob: ['updateNewsletterUserSetting'],
    WADeprecatedSendIq: ['deprecatedCastStanza', 'deprecatedSendIq'],
    WAWap: ['wap', 'generateId'],
    WAWebCallCollection: 'Calls',
    WAWebDrawerManager: ['DrawerManager.closeDrawerRight'],
    WAWebL10N: ['getLocale'],
    WAWebSetPushnameConnAction: ['setPushname'],
    WAWebUserPrefsGeneral: ['getUserPrefs'],
    WAWebUserPrefsNotifications: ['getGlobalNotificationsSettings'],
};

/** The exports of an inert module built from its member list. */
const inertModule = (name, spec) => {
    if (spec === 'Class' || spec === 'Class:createFromData') {
        const Inert = class { constructor() { throw new Error(name + ' is not imitated by wa-sim'); } };
        if (spec.endsWith('createFromData')) Inert.createFromData = notImitated(name, 'createFromData');
        return Inert;
    }
    if (spec === 'Calls') {
        // wwebjs hooks `set` on the first own Map property; the map stays empty here.
        return { WAWebCallCollection: { _calls: new Map() } };
    }
    const exports = {};
    for (const member of spec) {
        const [holder, fn] = member.includes('.') ? member.split('.') : [null, member];
        const target = holder ? (exports[holder] = exports[holder] || {}) : exports;
        target[fn] = notImitated(name, member);
    }
    return exports;
};

/** Factories for every inert name that `moduleFactories` does not already play. */
const inertFactories = (played) => {
    const out = {};
    for (const [name, spec] of Object.entries(INERT_MEMBERS)) {
        if (!(name in played)) out[name] = () => inertModule(name, spec);
    }
    return out;
};
